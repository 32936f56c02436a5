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

    def __init__(
        self,
        description: str,
        total: float | None,
        *,
        enabled: bool,
        unit: str = "msg",
        console: Console | None = None,
    ) -> None:
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
                console=console or Console(stderr=True),
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
        if count is None:
            self._bar.update(self._task, completed=done)
        else:
            self._bar.update(self._task, completed=done, count=count)


class _PhaseColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        total = "?" if task.total is None else f"{task.total:.0f}"
        return Text(f"{task.completed:.0f}/{total} phases")


class Phases:
    """Progress of a run made of named phases (the benchmarks): which phase, how many are
    done, elapsed time and the ETA Rich extrapolates from the finished ones."""

    def __init__(self, description: str, *, enabled: bool, console: Console | None = None) -> None:
        self.description = description
        self._bar: RichProgress | None = None
        self._done = -1
        if enabled:
            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                _PhaseColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
            )
            self._task = self._bar.add_task(description, total=None)

    def step(self, name: str, of: int) -> None:
        self._done += 1
        if self._bar is not None:
            label = f"{self.description}: {name}"
            self._bar.update(self._task, total=of, completed=self._done, description=label)

    def __enter__(self) -> Phases:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self._bar.tasks[0].total)
            self._bar.stop()


_ACTIVE: list[Phases] = []


def phase(name: str, of: int) -> None:
    """Report the next phase of the running benchmark (a no-op outside one)."""
    if _ACTIVE:
        _ACTIVE[-1].step(name, of)


def run_phases(description: str, enabled: bool) -> Phases:
    """A Phases that `phase()` reports to while it is entered."""
    return _Registered(description, enabled=enabled)


class _Registered(Phases):
    def __enter__(self) -> Phases:
        _ACTIVE.append(self)
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.remove(self)
        super().__exit__(*exc)
