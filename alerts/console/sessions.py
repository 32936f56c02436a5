"""Console sessions: random tokens in an HttpOnly cookie, expiring after one shift."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.clock import Clock

COOKIE = "fw_session"


@dataclass(frozen=True, slots=True)
class Session:
    member_id: str
    expires_at: datetime


class Sessions:
    def __init__(self, clock: Clock, ttl_s: float) -> None:
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_s)
        self._by_token: dict[str, Session] = {}

    def open(self, member_id: str) -> str:
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(member_id, self._clock.now() + self._ttl)
        return token

    def member(self, token: str | None) -> str | None:
        session = self._by_token.get(token or "")
        if session is None:
            return None
        if session.expires_at <= self._clock.now():
            del self._by_token[token or ""]
            return None
        return session.member_id

    def close(self, token: str | None) -> None:
        self._by_token.pop(token or "", None)
