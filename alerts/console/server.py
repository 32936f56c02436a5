"""The duty console's HTTP side: sign-in, incident list, live stream (SSE), actions, site plan.

Plain HTML/JS from `static/`, no external assets or map tiles. Every action goes through the
dispatcher, so it is a recorded transition (who = the signed-in member, from where = the
console and the client address).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from alerts.clock import Clock
from alerts.console.passwords import verify_password
from alerts.console.scope import Scope, incident_view, scope_of
from alerts.console.sessions import COOKIE, Sessions
from alerts.errors import TransitionError
from alerts.escalation import EscalationPolicy
from alerts.lifecycle import Action, Incident, Outcome
from alerts.notify.hub import ConsoleHub
from alerts.registry.registry import Registry

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_ACTIONS = {a.value: a for a in Action if a not in (Action.DISPATCH, Action.NOTE)}


class Backend(Protocol):
    registry: Registry
    policy: EscalationPolicy
    hub: ConsoleHub

    def open_incidents(self) -> list[Incident]: ...

    async def act(  # noqa: PLR0917
        self, key: str, action: Action, actor: str, source: str,
        outcome: Outcome | None, cause: str | None,
    ) -> Incident: ...  # fmt: skip


class Console:
    def __init__(self, backend: Backend, clock: Clock, session_ttl_s: float) -> None:
        self.backend = backend
        self.sessions = Sessions(clock, session_ttl_s)
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/", self._index),
                web.get("/static/{name}", self._static),
                web.post("/api/login", self._login),
                web.post("/api/logout", self._logout),
                web.get("/api/me", self._me),
                web.get("/api/incidents", self._incidents),
                web.get("/api/siteplan/{compound_id}", self._siteplan),
                web.get("/api/stream", self._stream),
                web.post("/api/action", self._action),
            ]
        )

    def _scope(self, request: web.Request) -> tuple[str, Scope]:
        member_id = self.sessions.member(request.cookies.get(COOKIE))
        scope = scope_of(self.backend.registry, member_id) if member_id else None
        if member_id is None or scope is None:
            raise web.HTTPUnauthorized(text="sign in first")
        return member_id, scope

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in {"app.js", "console.css"}:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC / name)

    async def _login(self, request: web.Request) -> web.Response:
        body = await request.json()
        member_id, password = str(body.get("member_id", "")), str(body.get("password", ""))
        member = self.backend.registry.member(member_id)
        stored = member.password_scrypt if member else None
        # scrypt takes tens of ms: off the event loop, so pages keep flowing during sign-in.
        is_ok = await asyncio.to_thread(verify_password, password, stored)
        if not is_ok or scope_of(self.backend.registry, member_id) is None:
            log.warning("console sign-in refused for %r from %s", member_id, request.remote)
            raise web.HTTPUnauthorized(text="unknown member or wrong password")
        response = web.json_response({"member_id": member_id})
        response.set_cookie(COOKIE, self.sessions.open(member_id), httponly=True,
                            samesite="Strict")  # fmt: skip
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        self.sessions.close(request.cookies.get(COOKIE))
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE)
        return response

    async def _me(self, request: web.Request) -> web.Response:
        member_id, scope = self._scope(request)
        member = self.backend.registry.member(member_id)
        return web.json_response(
            {"member_id": member_id, "name": member.name if member else member_id,
             "role": member.role.value if member else "", "scope": scope.kind,
             "scope_id": scope.scope_id, "stations": sorted(scope.station_ids)}
        )  # fmt: skip

    def _visible(self, scope: Scope) -> list[dict[str, Any]]:
        policy = self.backend.policy
        return [incident_view(i, policy) for i in self.backend.open_incidents() if scope.sees(i)]

    async def _incidents(self, request: web.Request) -> web.Response:
        _member, scope = self._scope(request)
        return web.json_response(self._visible(scope))

    async def _siteplan(self, request: web.Request) -> web.Response:
        self._scope(request)
        compound = self.backend.registry.compound(request.match_info["compound_id"])
        if compound is None:
            raise web.HTTPNotFound(text="unknown compound")
        return web.json_response(
            {"compound_id": compound.compound_id, "name": compound.name,
             "width_m": compound.width_m, "depth_m": compound.depth_m,
             "buildings": [b.model_dump() for b in compound.buildings]}
        )  # fmt: skip

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the full list first, then every change in scope."""
        member, scope = self._scope(request)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue = self.backend.hub.subscribe(member)
        try:
            await _send(response, "snapshot", self._visible(scope))
            while True:
                try:
                    async with asyncio.timeout(15.0):  # not wait_for: see runner._timer_loop
                        event = await queue.get()
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event.get("type") == "shutdown":
                    break
                if event.get("type") == "incident" and scope.sees(event["incident"]):
                    view = incident_view(event["incident"], self.backend.policy)
                    await _send(response, "incident", view)
                elif event.get("type") == "page":  # the hub queues a member's pages only
                    await _send(response, "page", event)
        except ConnectionResetError:
            log.info("console stream closed by %s", request.remote)
        finally:
            self.backend.hub.unsubscribe(queue)
        return response

    async def _action(self, request: web.Request) -> web.Response:
        member_id, scope = self._scope(request)
        body = await request.json()
        action = _ACTIONS.get(str(body.get("action")))
        key = str(body.get("incident_key", ""))
        inc = next((i for i in self.backend.open_incidents() if i.incident_key == key), None)
        if action is None or inc is None:
            raise web.HTTPNotFound(text="unknown incident or action")
        if not scope.sees(inc):
            raise web.HTTPForbidden(text="this incident belongs to another station")
        outcome = Outcome(body["outcome"]) if body.get("outcome") else None
        source = f"console {request.remote or '?'}"
        try:
            inc = await self.backend.act(key, action, member_id, source, outcome,
                                         body.get("cause"))  # fmt: skip
        except TransitionError as exc:
            raise web.HTTPConflict(text=str(exc)) from None
        return web.json_response(incident_view(inc, self.backend.policy))


async def _send(response: web.StreamResponse, event: str, data: Any) -> None:
    await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
