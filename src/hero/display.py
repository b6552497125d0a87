"""How hero commands print numbers on the terminal (`hero trap`, `hero eval`): 3 decimals. JSON files keep full
precision; only what is printed is rounded."""

from __future__ import annotations

import math

DIGITS = 3


def number(x) -> str:
    """0.7916666666666666 → '0.792'; 7.0 → '7.000'; a nonzero value that 3 decimals would show as 0.000 keeps 3
    significant digits (0.000312 → '0.000312', -4.2e-06 → '-4.2e-06'); ints as they are; None / NaN → '—'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if isinstance(x, bool) or not isinstance(x, float):
        return str(x)
    x = x + 0.0  # -0.0 → 0.0
    text = f"{x:.{DIGITS}f}"
    if x != 0 and math.isfinite(x) and float(text) == 0:
        return f"{x:.{DIGITS}g}"
    return text


def rounded(obj):
    """`obj` (JSON-like) with every float as `number` prints it, for JSON shown on the terminal; NaN stays NaN."""
    if isinstance(obj, float):
        return obj if math.isnan(obj) else float(number(obj))
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v) for v in obj]
    return obj
