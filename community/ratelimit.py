"""Sliding-window rate limits (pure, clock injected): reports per address and per building.

A flood of reports from one phone, or about one building, must not bury the grid centre's
list; a real resident is never near the limits (settings in `config.py`).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from community.clock import Clock


class SlidingWindow:
    def __init__(self, limit: int, window_s: float, clock: Clock, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after_s(self, key: str) -> float:
        """0 when one more hit is allowed now, else seconds until it is."""
        now = self.clock.now()
        hits = self._recent(key, now)
        if len(hits) < self.limit:
            return 0.0
        return max(1.0, (hits[0] + self.window - now).total_seconds())

    def hit(self, key: str) -> None:
        now = self.clock.now()
        self._recent(key, now).append(now)

    def _forget_idle(self, now: datetime) -> None:
        """Bounded memory under a flood of new keys: drop keys with no recent hit."""
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
