"""The duty console's HTTP side: the page, sign-in, incidents, plans, live stream, actions.

Static files from `static/` (Preact + htm vendored there, nothing from the internet). Every
read is scoped to the member's stations and compounds (alerts/console/scope.py); every action
goes through the dispatcher, so it is a recorded transition (who = the signed-in member, from
where = the console and the client address).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from alerts.console.assign import may_assign
from alerts.console.auth import Auth, Caller
from alerts.console.config import ConsoleConfig
from alerts.console.hazard_desk import HazardDeskApi
from alerts.console.i18n import LANGS, catalogue
from alerts.console.plans import building_plan, shed_plan, site_plan
from alerts.console.records_api import RecordsApi
from alerts.console.security import ActionBody, guard, headers_hook, parse, refuse
from alerts.console.sessions import Sessions
from alerts.console.views import incident_view
from alerts.console.work import HazardCache
from alerts.errors import TransitionError
from alerts.escalation import EscalationPolicy
from alerts.ledger.db import Database
from alerts.lifecycle import Action, ActionRequest, Incident
from alerts.maintenance import WorkOrder, WorkOrderAction
from alerts.notify.hub import ConsoleHub
from alerts.registry.registry import Registry
from runtime.clock import Clock

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".md": "text/plain",
}
# An imported drawing is shown as an image; opened on its own it must not run anything.
_DRAWING_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class Backend(Protocol):
    registry: Registry
    policy: EscalationPolicy
    hub: ConsoleHub

    def open_incidents(self) -> list[Incident]: ...

    async def act(self, req: ActionRequest) -> Incident: ...

    def work_orders(self) -> list[WorkOrder]: ...

    async def act_on_work_order(
        self, order_id: str, action: WorkOrderAction, actor: str
    ) -> WorkOrder: ...


class Console:
    def __init__(self, backend: Backend, clock: Clock, config: ConsoleConfig, db: Database) -> None:
        self.backend = backend
        self.config = config
        self.db = db
        self.clock = clock
        self._near = HazardCache(db, backend.registry, clock)
        self.auth = Auth(backend.registry, Sessions(db, clock, config.session_ttl_s), clock, config)
        self.app = web.Application(
            middlewares=[guard(config)], client_max_size=config.max_body_bytes
        )
        self.app.on_response_prepare.append(headers_hook(config))
        self.app.on_cleanup.append(self._close)
        self._static = {p.relative_to(STATIC).as_posix(): p for p in STATIC.rglob("*.*")}
        self.app.add_routes(
            [
                web.get("/", self._index),
                web.get("/favicon.ico", self._favicon),
                web.get("/static/{path:.+}", self._static_file),
                web.get("/api/messages/{lang}", self._messages),
                web.post("/api/login", self.auth.login),
                web.post("/api/logout", self.auth.logout),
                web.get("/api/me", self._me),
                web.get("/api/incidents", self._incidents),
                web.get("/api/siteplan/{compound_id}", self._siteplan),
                web.get("/api/plan/{compound_id}/{place_id}", self._plan),
                web.get("/api/drawing/{compound_id}/{building_id}", self._drawing),
                web.get("/api/stream", self._stream),
                web.post("/api/action", self._action),
            ]
        )
        RecordsApi(self)
        HazardDeskApi(self)

    async def _close(self, _app: web.Application) -> None:
        self.db.close()

    # -- the page ---------------------------------------------------------------------------
    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _favicon(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "icon.svg", headers={"Content-Type": "image/svg+xml"})

    async def _static_file(self, request: web.Request) -> web.StreamResponse:
        path = self._static.get(request.match_info["path"])
        if path is None or path.name == "index.html":
            raise web.HTTPNotFound()
        kind = _TYPES.get(path.suffix)
        return web.FileResponse(path, headers={"Content-Type": kind} if kind else None)

    async def _messages(self, request: web.Request) -> web.Response:
        lang = request.match_info["lang"]
        if lang not in LANGS:
            raise refuse(request, web.HTTPNotFound, "not_found")
        return web.json_response(catalogue(lang))

    async def _me(self, request: web.Request) -> web.Response:
        caller = self.auth.caller(request)
        member = self.backend.registry.member(caller.member_id)
        return web.json_response(
            {
                "member_id": caller.member_id,
                "name": member.name if member else caller.member_id,
                "role": member.role.value if member else "",
                "scope": caller.scope.kind,
                "scope_id": caller.scope.scope_id,
                "csrf": caller.session.csrf_token,
                "expires_at": caller.session.expires_at.isoformat(),
                "undo_window_s": self.config.undo_window_s,
                "settle_ms": self.config.settle_ms,
                "may_assign": may_assign(self.backend.registry, caller.member_id),
                "compounds": sorted(caller.scope.compound_ids),
            }
        )

    # -- reads, each scoped ------------------------------------------------------------------
    def _visible(self, caller: Caller) -> list[dict[str, Any]]:
        return [self.view(i) for i in self.backend.open_incidents() if caller.scope.sees(i)]

    def view(self, inc: Incident) -> dict[str, Any]:
        near = self._near.near(inc) if inc.is_open else []
        return incident_view(inc, self.backend.registry, self.backend.policy, near)

    async def _incidents(self, request: web.Request) -> web.Response:
        return web.json_response(self._visible(self.auth.caller(request)))

    def _compound(self, request: web.Request, caller: Caller) -> Any:
        compound_id = request.match_info["compound_id"]
        compound = self.backend.registry.compound(compound_id)
        seen = caller.scope.sees_compound(compound_id, self.backend.open_incidents())
        if compound is None or not seen:
            raise refuse(request, web.HTTPNotFound, "not_found")  # never say it exists
        return compound

    async def _siteplan(self, request: web.Request) -> web.Response:
        compound = self._compound(request, self.auth.caller(request))
        query = request.query
        return web.json_response(site_plan(compound, query.get("building"), query.get("shed")))

    async def _plan(self, request: web.Request) -> web.Response:
        compound = self._compound(request, self.auth.caller(request))
        place_id = request.match_info["place_id"]
        alarm_ids = frozenset(filter(None, request.query.get("alarm", "").split(",")))
        shed = compound.shed(place_id)
        if shed is not None:
            return web.json_response(shed_plan(compound.compound_id, shed))
        building = compound.building(place_id)
        floor = request.query.get("floor", "1")
        if building is None or not floor.isdigit() or not 1 <= int(floor) <= building.floors:
            raise refuse(request, web.HTTPNotFound, "not_found")
        plan = building_plan(compound.compound_id, building, int(floor), alarm_ids)
        return web.json_response(plan)

    async def _drawing(self, request: web.Request) -> web.StreamResponse:
        compound = self._compound(request, self.auth.caller(request))
        path = self.backend.registry.plan_drawing(
            compound.compound_id, request.match_info["building_id"]
        )
        if path is None or not path.is_file():
            raise refuse(request, web.HTTPNotFound, "not_found")
        headers = {"Content-Type": "image/svg+xml", "Content-Security-Policy": _DRAWING_CSP}
        return web.FileResponse(path, headers=headers)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the full list first, then every change in scope, and the
        member's own pages; ends when the session does (expiry or sign-out)."""
        caller = self.auth.caller(request)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue = self.backend.hub.subscribe(caller.member_id)
        try:
            await _send(response, "snapshot", self._visible(caller))
            while self.auth.sessions.get(caller.token) is not None:
                try:
                    async with asyncio.timeout(15.0):  # not wait_for: see runner._timer_loop
                        event = await queue.get()
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event.get("type") == "shutdown":
                    break
                if event.get("type") == "incident" and caller.scope.sees(event["incident"]):
                    await _send(response, "incident", self.view(event["incident"]))
                elif event.get("type") == "page":  # the hub queues a member's pages only
                    await _send(response, "page", event)
        except ConnectionResetError:
            log.info("console stream closed by %s", request.remote)
        finally:
            self.backend.hub.unsubscribe(queue)
        return response

    # -- the one state change ----------------------------------------------------------------
    async def _action(self, request: web.Request) -> web.Response:
        caller = self.auth.caller(request, is_change=True)
        body = await parse(request, ActionBody)
        key = body.incident_key
        inc = next((i for i in self.backend.open_incidents() if i.incident_key == key), None)
        if inc is None or not caller.scope.sees(inc):
            raise refuse(request, web.HTTPNotFound, "not_found")
        source = f"console {request.remote or '?'}"
        try:
            inc = await self.backend.act(
                ActionRequest(
                    key, Action(body.action), caller.member_id, source, body.outcome, body.cause
                )
            )
        except TransitionError:
            raise refuse(request, web.HTTPConflict, "conflict") from None
        return web.json_response(self.view(inc))


async def _send(response: web.StreamResponse, event: str, data: Any) -> None:
    # json.dumps escapes nothing HTML-ish, but an event-stream is never parsed as HTML and the
    # page puts every field into text nodes (Preact), so markup in a field stays text.
    await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
