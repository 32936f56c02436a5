"""Sign-in, sign-out and who is signed in: sessions in the ledger database, throttled refusals
that cost the same for every member id, cookies that are HttpOnly, SameSite=Strict and Secure
when the console is reached over TLS (or a trusted proxy says so; `ConsoleConfig`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

from alerts.console.config import ConsoleConfig
from alerts.console.passwords import verify_password
from alerts.console.scope import Scope, scope_of
from alerts.console.security import LoginBody, is_secure, parse, refuse
from alerts.console.sessions import COOKIE, SECURE_COOKIE, Session, Sessions, is_csrf_ok
from alerts.console.throttle import SignInThrottle
from alerts.registry.registry import Registry
from runtime.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    member_id: str
    scope: Scope
    session: Session
    token: str


class Auth:
    def __init__(
        self, registry: Registry, sessions: Sessions, clock: Clock, config: ConsoleConfig
    ) -> None:
        self.registry = registry
        self.sessions = sessions
        self.clock = clock
        self.config = config
        self.throttle = SignInThrottle(config.throttle)

    def caller(self, request: web.Request, *, is_change: bool = False) -> Caller:
        """The signed-in member, or 401; a state change must also carry the CSRF token."""
        token = request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE) or ""
        session = self.sessions.get(token)
        scope = scope_of(self.registry, session.member_id) if session else None
        if session is None or scope is None:
            raise refuse(request, web.HTTPUnauthorized, "unauthorized")
        if is_change and not is_csrf_ok(token, request.headers.get("X-CSRF-Token")):
            raise refuse(request, web.HTTPForbidden, "csrf")
        return Caller(session.member_id, scope, session, token)

    async def login(self, request: web.Request) -> web.Response:
        body = await parse(request, LoginBody)
        address = request.remote or "?"
        wait_s = self.throttle.wait_s(body.member_id, address, self.clock.now())
        if wait_s > 0:
            seconds = max(1, round(wait_s))
            error = refuse(request, web.HTTPTooManyRequests, "throttled", s=seconds)
            error.headers["Retry-After"] = str(seconds)
            raise error
        member = self.registry.member(body.member_id)
        stored = member.password_scrypt if member else None
        # scrypt takes tens of ms: off the event loop, so pages keep flowing during sign-in.
        # An unknown member is checked against a dummy hash: the refusal costs the same.
        is_ok = await asyncio.to_thread(verify_password, body.password, stored)
        if not is_ok or scope_of(self.registry, body.member_id) is None:
            self.throttle.failed(body.member_id, address, self.clock.now())
            log.warning("console sign-in refused for %r from %s", body.member_id, address)
            raise refuse(request, web.HTTPUnauthorized, "signin_failed")
        self.throttle.succeeded(body.member_id)
        token, session = self.sessions.open(body.member_id)
        response = web.json_response({"member_id": body.member_id, "csrf": session.csrf_token})
        self._set_cookie(request, response, token)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        caller = self.caller(request, is_change=True)
        self.sessions.close(caller.token)
        response = web.json_response({"ok": True})
        for name in (COOKIE, SECURE_COOKIE):
            response.del_cookie(name, path="/")
        return response

    def _set_cookie(self, request: web.Request, response: web.Response, token: str) -> None:
        is_tls = is_secure(request, self.config)
        response.set_cookie(
            SECURE_COOKIE if is_tls else COOKIE,
            token,
            path="/",
            max_age=int(self.config.session_ttl_s),
            httponly=True,
            secure=is_tls,
            samesite="Strict",
        )
