"""Who is calling the hazard API.

Duty staff sign in once, on the duty console (phase 2, issue 18.4): the console checks the
member's session and CSRF token, then forwards the hazard step here with the session's token
in `X-Console-Session`; the desk looks it up in the one ledger's sessions table (migration
0005), so a session the console ended (sign-out, expiry) is refused here too. A browser page
elsewhere cannot send that header: it is not a simple header, so a cross-site request needs a
CORS preflight this server never grants, and the token is the console's HttpOnly cookie.

The phase-1 signed cookie (HMAC-SHA256 over member id and expiry, CSRF token derived from it
in `X-CSRF-Token`) still works for scripts and the people tests until they move over.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from aiohttp import web

from alerts.console.passwords import verify_password
from alerts.console.sessions import Sessions
from alerts.hazards.views import Viewer, viewer_of
from alerts.registry.registry import Registry
from runtime.clock import Clock

COOKIE = "fw_hazards"
CONSOLE_SESSION = "X-Console-Session"


class Signer:
    def __init__(self, secret: bytes, ttl_s: float, clock: Clock) -> None:
        self._secret, self._ttl, self.clock = secret, timedelta(seconds=ttl_s), clock

    def _mac(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, member_id: str) -> str:
        who = base64.urlsafe_b64encode(member_id.encode()).decode().rstrip("=")
        payload = f"{who}.{int((self.clock.now() + self._ttl).timestamp())}"
        return f"{payload}.{self._mac(payload)}"

    def member_id(self, cookie: str | None) -> str | None:
        parts = (cookie or "").split(".")
        if len(parts) != 3 or not hmac.compare_digest(
            self._mac(f"{parts[0]}.{parts[1]}"), parts[2]
        ):
            return None
        if not parts[1].isdigit() or int(parts[1]) <= self.clock.now().timestamp():
            return None
        return base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode()

    def csrf(self, cookie: str) -> str:
        return self._mac(f"csrf:{cookie}")


# OWASP authentication cheat sheet: slow down guessing. 5 failures per address per 5 min.
_FAILURES, _FAILURE_WINDOW = 5, timedelta(minutes=5)


class Auth:
    def __init__(self, registry: Registry, signer: Signer, console: Sessions | None = None) -> None:
        self.registry, self.signer, self.console = registry, signer, console
        self._failures: dict[str, list[datetime]] = {}

    def _is_throttled(self, address: str) -> bool:
        now = self.signer.clock.now()
        recent = [at for at in self._failures.get(address, []) if at > now - _FAILURE_WINDOW]
        self._failures[address] = recent
        return len(recent) >= _FAILURES

    def viewer(self, request: web.Request, *, is_change: bool = False) -> Viewer:
        forwarded = request.headers.get(CONSOLE_SESSION)
        if forwarded is not None:
            return self._console_viewer(forwarded)
        cookie = request.cookies.get(COOKIE, "")
        member_id = self.signer.member_id(cookie)
        viewer = viewer_of(self.registry, member_id) if member_id else None
        if viewer is None:
            raise web.HTTPUnauthorized(text="sign in first")
        token = request.headers.get("X-CSRF-Token", "")
        if is_change and not hmac.compare_digest(self.signer.csrf(cookie), token):
            raise web.HTTPForbidden(text="missing or wrong X-CSRF-Token")
        return viewer

    def _console_viewer(self, token: str) -> Viewer:
        """A member signed in on the duty console (the console checked CSRF already)."""
        session = self.console.get(token) if self.console is not None else None
        viewer = viewer_of(self.registry, session.member_id) if session else None
        if viewer is None:
            raise web.HTTPUnauthorized(text="sign in on the duty console first")
        return viewer

    async def login(self, request: web.Request) -> web.Response:
        address = request.remote or "?"
        if self._is_throttled(address):
            raise web.HTTPTooManyRequests(text="too many failed sign-ins: wait 5 minutes")
        body = await request.json()
        member_id, password = str(body.get("member_id", "")), str(body.get("password", ""))
        member = self.registry.member(member_id)
        stored = member.password_scrypt if member else None
        is_ok = await asyncio.to_thread(verify_password, password, stored)  # scrypt: slow
        viewer = viewer_of(self.registry, member_id) if is_ok else None
        if viewer is None:
            self._failures.setdefault(address, []).append(self.signer.clock.now())
            raise web.HTTPUnauthorized(text="wrong member id or password")
        cookie = self.signer.issue(member_id)
        response = web.json_response(
            {
                "member_id": member_id,
                "role": viewer.role.value,
                "compounds": sorted(viewer.compound_ids),
                "csrf_token": self.signer.csrf(cookie),
            }
        )
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="Strict")
        return response
