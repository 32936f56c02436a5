"""Output for people (Rich, imported only by commands that show it): tables on stdout and
progress on stderr with count, rate and ETA. Progress is silent when stderr is not a terminal
or with --json, so pipes and logs only ever see results."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table
from rich.text import Text


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    table = Table(title=title, show_header=any(header), title_justify="left")
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=False).print(table)


class _RateColumn(ProgressColumn):
    """Messages so far and their rate (messages per wall second), whatever the bar counts."""

    def render(self, task: Task) -> Text:
        count = int(task.fields.get("count", task.completed))
        unit = str(task.fields.get("unit", "msg"))
        elapsed_s = task.elapsed or 0.0
        rate = count / elapsed_s if elapsed_s > 0 else 0.0
        return Text(f"{count:,} {unit}  {rate:,.0f} {unit}/s", style="progress.data.speed")


class Progress:
    """One task's progress: `update(done, count=...)`; a no-op when disabled.

    `total` is in the unit of `done` (messages, or simulated seconds for `simulate`);
    None gives an open-ended bar (no ETA), e.g. `record` until Ctrl-C.
    """

    def __init__(self, description: str, total: float | None, *, enabled: bool, unit: str = "msg"):
        self.enabled = enabled
        self._started = time.monotonic()
        self._bar: RichProgress | None = None
        self._task = None
        if enabled:
            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                _RateColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._bar.add_task(description, total=total, count=0, unit=unit)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: float, count: int | None = None) -> None:
        if self._bar is None or self._task is None:
            return
        fields = {} if count is None else {"count": count}
        self._bar.update(self._task, completed=done, **fields)
