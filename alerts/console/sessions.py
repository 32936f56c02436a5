"""Console sessions in the ledger database: they survive a restart of dispatch and expire.

The cookie holds a random token; the table holds only its SHA-256, so a copy of the database
opens no session. The CSRF token a page sends with every state change is derived from the
session token (a keyed digest), so it needs no storage and dies with the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.ledger.db import Database
from runtime.clock import Clock

COOKIE = "fw_session"
SECURE_COOKIE = "__Host-fw_session"  # the __Host- prefix: Secure, path /, no Domain (RFC 6265bis)


@dataclass(frozen=True, slots=True)
class Session:
    member_id: str
    expires_at: datetime
    csrf_token: str


class Sessions:
    def __init__(self, db: Database, clock: Clock, ttl_s: float) -> None:
        self._db = db
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_s)
        db.migrate()

    def open(self, member_id: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires = now + self._ttl
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO console_sessions (token_sha256, member_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (_digest(token), member_id, now.timestamp(), expires.timestamp()),
            )
        return token, Session(member_id, expires, csrf_token(token))

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        rows = self._db.query(
            "SELECT member_id, expires_at FROM console_sessions WHERE token_sha256 = ?",
            (_digest(token),),
        )
        if not rows:
            return None
        member_id, expires_ts = rows[0]
        now = self._clock.now()
        if float(expires_ts) <= now.timestamp():
            self.close(token)
            return None
        expires = datetime.fromtimestamp(float(expires_ts), now.tzinfo)
        return Session(str(member_id), expires, csrf_token(token))

    def close(self, token: str | None) -> None:
        if token:
            with self._db.transaction():
                self._db.execute(
                    "DELETE FROM console_sessions WHERE token_sha256 = ?", (_digest(token),)
                )

    def purge_expired(self) -> int:
        with self._db.transaction():
            return self._db.execute(
                "DELETE FROM console_sessions WHERE expires_at <= ?",
                (self._clock.now().timestamp(),),
            )


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"firewatch-console-csrf", hashlib.sha256).hexdigest()


def is_csrf_ok(session_token: str, presented: str | None) -> bool:
    return hmac.compare_digest(csrf_token(session_token), presented or "")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
