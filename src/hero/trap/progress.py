"""The progress bar of a `hero trap` run (rich), or a no-op."""

from __future__ import annotations

from collections.abc import Callable


class progress_bar:
    """Context manager yielding advance(k): a rich progress bar, or a no-op when disabled or nothing is left."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self.bar = enabled and total > 0, total, None

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda k: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self.bar.start()
        task = self.bar.add_task("scoring", total=self.total)
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
