"""Signed-in staff on the patrol pages: grid workers and station members.

Who is staff, and their passwords, belong to the dispatch registry: the composition root hands
this stage a `StaffDirectory`. A session is a signed cookie (HMAC-SHA256 over member id and
expiry), so this side keeps no session table; a form's token is derived from the cookie (a
keyed digest), so a page from another site cannot check in on someone's behalf.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from community.clock import Clock

COOKIE = "fw_staff"


@dataclass(frozen=True, slots=True)
class StaffMember:
    member_id: str
    name: str


class StaffDirectory(Protocol):
    def verify(self, member_id: str, password: str) -> StaffMember | None:
        """The member when the password is theirs (slow on purpose: scrypt)."""
        ...

    def member(self, member_id: str) -> StaffMember | None: ...


class SessionSigner:
    def __init__(self, secret: bytes, ttl_s: float, clock: Clock) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_s)
        self.clock = clock

    def _mac(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, member_id: str) -> str:
        expires = int((self.clock.now() + self._ttl).timestamp())
        who = base64.urlsafe_b64encode(member_id.encode()).decode().rstrip("=")
        payload = f"{who}.{expires}"
        return f"{payload}.{self._mac(payload)}"

    def member_id(self, cookie: str | None) -> str | None:
        """The member a cookie was issued to, while it is valid; None otherwise."""
        parts = (cookie or "").split(".")
        if len(parts) != 3:
            return None
        who, expires, mac = parts
        if not hmac.compare_digest(self._mac(f"{who}.{expires}"), mac):
            return None
        if not expires.isdigit() or int(expires) <= self.clock.now().timestamp():
            return None
        try:
            return base64.urlsafe_b64decode(who + "=" * (-len(who) % 4)).decode()
        except ValueError:
            return None

    def form_token(self, cookie: str) -> str:
        return self._mac(f"form:{cookie}")

    def is_form_token_ok(self, cookie: str | None, token: str | None) -> bool:
        return bool(cookie) and hmac.compare_digest(self.form_token(cookie or ""), token or "")
