"""How many torch CPU threads a command uses (`--threads`, 0 = auto), shared by `hero train sft`, `hero trap` and
`hero eval`. Light: torch is imported only when the count is applied."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def pick_threads(requested: int, cores: int, load_1min: float) -> int:
    """requested if > 0; else all cores when the 1-minute load average is below 1 (idle), otherwise 1.
    pick_threads(0, 2, 0.3) = 2; pick_threads(0, 2, 1.4) = 1; pick_threads(3, 2, 5.0) = 3."""
    if requested > 0:
        return requested
    return cores if load_1min < 1.0 else 1


def check_threads(requested: int, flag: str = "--threads") -> None:
    """ValueError unless requested is an int ≥ 0."""
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 0:
        raise ValueError(f"{flag} {requested!r}: give a number of CPU threads ≥ 1, or 0 for auto (every core when "
                         "the machine is idle, 1 when it is loaded)")


@contextlib.contextmanager
def torch_threads(requested: int) -> Iterator[int]:
    """torch.set_num_threads(pick_threads(requested, cores, load)) for the block, then the previous count again;
    yields the count in use."""
    import torch

    before = torch.get_num_threads()
    n = pick_threads(requested, os.cpu_count() or 1, os.getloadavg()[0])
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
