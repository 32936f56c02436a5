"""Time as an input (STYLE.md habit 4): the worker asks a Clock, tests pass a fake one."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_s(self) -> float: ...


class SystemClock:
    def now_s(self) -> float:
        return time.time()


class FakeClock:
    def __init__(self, start_s: float = 1_800_000_000.0) -> None:
        self.t_s = start_s

    def now_s(self) -> float:
        return self.t_s

    def advance(self, seconds: float) -> None:
        self.t_s += seconds
