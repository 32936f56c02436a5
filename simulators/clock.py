"""Simulated time: a virtual clock (as fast as possible) and a paced (scaled real-time) clock.

Simulated time is seconds since the run's start (`t_s`); the device wall clock is
`start_at + t_s`. These are not wall clocks: a paced clock reads the process's one clock
(runtime.clock, its monotonic side) and maps simulated seconds onto real seconds divided by
`speed`, so a run can go faster than real time; the virtual clock never waits (max speed,
tests).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from runtime.clock import Clock, SystemClock


class SimClock(Protocol):
    def now_s(self) -> float:
        """Simulated seconds since the start of the run."""
        ...

    async def sleep_until(self, t_s: float) -> None:
        """Return once simulated time has reached `t_s`."""
        ...


class VirtualClock:
    """Jumps straight to whatever time is asked: as fast as possible, fully deterministic."""

    def __init__(self) -> None:
        self._t_s = 0.0

    def now_s(self) -> float:
        return self._t_s

    async def sleep_until(self, t_s: float) -> None:
        self._t_s = max(self._t_s, t_s)
        await asyncio.sleep(0)  # let the I/O callbacks run


class PacedClock:
    """Simulated time = (real monotonic time since start) * speed."""

    def __init__(self, speed: float = 1.0, clock: Clock | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._clock = clock or SystemClock()
        self._origin_s = self._clock.monotonic_s()

    def now_s(self) -> float:
        return (self._clock.monotonic_s() - self._origin_s) * self.speed

    async def sleep_until(self, t_s: float) -> None:
        delay_s = (t_s - self.now_s()) / self.speed
        await asyncio.sleep(max(0.0, delay_s))
