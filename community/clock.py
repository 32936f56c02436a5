"""Time as an input (STYLE.md habit 4): the pages, rate limits and sessions take a Clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware current time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
