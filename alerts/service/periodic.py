"""Dispatch's housekeeping loops: one action every so often, for the service's lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(
    interval_s: float,
    action: Callable[[], Awaitable[object]],
    what: str,
    *,
    wait_first: bool = False,
) -> None:
    """Run `action` every `interval_s` until cancelled. A failure is logged and the loop goes
    on: a ledger or broker outage is readiness's to report, never the end of housekeeping."""
    if wait_first:
        await asyncio.sleep(interval_s)
    while True:
        try:
            await action()
        except Exception:  # any fault of one round: logged with its trace, next round runs
            log.exception("dispatch %s failed; next try in %.0f s", what, interval_s)
        await asyncio.sleep(interval_s)
