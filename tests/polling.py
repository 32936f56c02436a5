"""Waiting on another process or a real server: poll a condition with a deadline, never sleep
a fixed time and hope. In-process code is awaited on its own events instead."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def wait_for(
    predicate: Callable[[], Any],
    timeout_s: float = 20.0,
    *,
    what: str = "condition",
    every_s: float = 0.02,
) -> Any:
    """The predicate's first truthy value (it may be a coroutine function); AssertionError
    naming `what` when the deadline passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(every_s)
    raise AssertionError(f"{what} not met within {timeout_s} s")


def wait_until(
    predicate: Callable[[], Any],
    timeout_s: float = 20.0,
    *,
    what: str = "condition",
    every_s: float = 0.02,
) -> Any:
    """`wait_for` for a synchronous test (another process's file or endpoint): the
    predicate's first truthy value; AssertionError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every_s)
    raise AssertionError(f"{what} not met within {timeout_s} s")
