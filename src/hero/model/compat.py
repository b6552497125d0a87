"""transformers without torchvision: let a processor hold no video processor.

transformers 5 checks every sub-processor argument of a processor against its base class; for video processors
that lookup fails when torchvision is absent (VIDEO_PROCESSOR_MAPPING is a placeholder), so Qwen2-VL / Qwen2.5-VL
processors — which have an optional video processor — cannot even be built with `video_processor=None`. HERO
never processes video and never installs torchvision (its PyPI wheels do not import beside the CPU torch), so
`allow_missing_video_processor` makes the check accept None for an absent sub-processor; any other argument is
checked exactly as before; `save_pretrained` writes the sub-processors present. Idempotent; applied by
`hero.model.families.qwen` and `hero.model.load`."""

from __future__ import annotations

import contextlib


def allow_missing_video_processor() -> None:
    from transformers import processing_utils

    cls = processing_utils.ProcessorMixin
    if getattr(cls.check_argument_for_proper_class, "_hero_allows_none", False):
        return
    original = cls.check_argument_for_proper_class

    def check(self, argument_name, argument):
        if argument is None and "video" in argument_name:
            return None
        return original(self, argument_name, argument)

    check._hero_allows_none = True
    cls.check_argument_for_proper_class = check
    original_save = cls.save_pretrained

    def save_pretrained(self, *args, **kwargs):  # trainers save their processing_class in every checkpoint
        with saving_present_parts(self):
            return original_save(self, *args, **kwargs)

    cls.save_pretrained = save_pretrained
    _video_loader_may_return_none()


def _video_loader_may_return_none() -> None:
    """AutoVideoProcessor.from_pretrained → None, instead of an error, when torchvision is absent (video processors
    need it): a folder saved without a video processor then reloads with AutoProcessor."""
    from transformers.models.auto.video_processing_auto import AutoVideoProcessor
    from transformers.utils import is_torchvision_available

    if is_torchvision_available() or getattr(AutoVideoProcessor.from_pretrained, "_hero_allows_none", False):
        return
    original = AutoVideoProcessor.from_pretrained

    def load(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except (OSError, ImportError, ValueError):
            return None

    load._hero_allows_none = True
    AutoVideoProcessor.from_pretrained = load


@contextlib.contextmanager
def saving_present_parts(processor):
    """While open, `processor.save_pretrained` writes only the sub-processors it holds (a Qwen processor built
    without a video processor saves its tokenizer and image processor); a no-op for a processor holding all."""
    names = type(processor).get_attributes()
    present = [n for n in names if getattr(processor, n, None) is not None]
    if present == names or "get_attributes" in vars(processor):  # all present, or already inside this block
        yield
        return
    processor.get_attributes = lambda: present  # the instance attribute shadows the classmethod
    try:
        yield
    finally:
        del processor.get_attributes
