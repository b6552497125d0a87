"""Shared CLI plumbing (kept for imports): the error edge lives in hero.options."""

from hero.options import fail_on_input_errors

__all__ = ["fail_on_input_errors"]
