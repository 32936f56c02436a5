"""Sign-in throttling per member and per address (pure, clock injected; issue 12.4).

After `free_failures` failures within `window_s`, each further attempt must wait a delay that
doubles per failure up to `max_delay_s`. A delay, never a lock-out: a member on duty during a
fire is slowed by someone guessing at the password, never locked out by them. Unknown member
ids are throttled exactly like known ones, so the answers do not tell which ids exist.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field


class ThrottleConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    window_s: float = Field(default=900.0, gt=0.0)
    free_failures_per_member: int = Field(default=5, ge=1)
    # An address may sit behind a NAT with a whole station on it: more room than one member.
    free_failures_per_address: int = Field(default=20, ge=1)
    max_delay_s: float = Field(default=60.0, gt=0.0)
    max_tracked: int = Field(default=10_000, ge=100)  # bounded memory under a spray attack


@dataclass
class _Record:
    failures: list[datetime] = field(default_factory=list)


class SignInThrottle:
    def __init__(self, config: ThrottleConfig) -> None:
        self._cfg = config
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def wait_s(self, member_id: str, address: str, now: datetime) -> float:
        """Seconds to wait before this sign-in may be tried; 0 = try now."""
        return max(
            self._wait(f"m:{member_id}", self._cfg.free_failures_per_member, now),
            self._wait(f"a:{address}", self._cfg.free_failures_per_address, now),
        )

    def failed(self, member_id: str, address: str, now: datetime) -> None:
        for key in (f"m:{member_id}", f"a:{address}"):
            record = self._records.pop(key, None) or _Record()
            record.failures = [*self._recent(record, now), now]
            self._records[key] = record
        while len(self._records) > self._cfg.max_tracked:
            self._records.popitem(last=False)

    def succeeded(self, member_id: str) -> None:
        # Only the member's count: a success says nothing about others on the same address.
        self._records.pop(f"m:{member_id}", None)

    def _wait(self, key: str, free: int, now: datetime) -> float:
        record = self._records.get(key)
        if record is None:
            return 0.0
        recent = self._recent(record, now)
        over = len(recent) - free
        if over < 0:
            return 0.0
        delay_s = min(self._cfg.max_delay_s, 2.0**over)
        waited_s = (now - recent[-1]).total_seconds()
        return max(0.0, delay_s - waited_s)

    def _recent(self, record: _Record, now: datetime) -> list[datetime]:
        since = now - timedelta(seconds=self._cfg.window_s)
        return [t for t in record.failures if t > since]
