"""The console's phase-2 routes: the incident's story, assign (一键派单), history and the 台账
export, maintenance work orders (维保) and hazards (隐患) in their own lists.

Every read is scoped like the incident list (alerts/console/scope.py); every change goes
through the dispatcher (a recorded transition or ledger row, who = the signed-in member).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from alerts.console import assign, export, records, sheets, story
from alerts.console.auth import Caller
from alerts.console.i18n import LANGS, negotiate
from alerts.console.security import parse, refuse
from alerts.console.work import hazard_rows, work_order_view
from alerts.errors import TransitionError
from alerts.ledger import queries
from alerts.lifecycle import Action, ActionRequest, Incident
from alerts.maintenance import WorkOrderAction

if TYPE_CHECKING:
    from alerts.console.server import Console


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_key: str = Field(min_length=1, max_length=512)
    assignee: str = Field(min_length=1, max_length=64)


class WorkOrderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=512)
    action: Literal["acknowledge", "close"]


class RecordsApi:
    def __init__(self, console: Console) -> None:
        self.console = console
        console.app.add_routes(
            [
                web.get("/api/story", self._story),
                web.get("/api/assignees", self._assignees),
                web.post("/api/assign", self._assign),
                web.get("/api/history", self._history),
                web.get("/api/export.xlsx", self._xlsx),
                web.get("/api/export.csv", self._csv),
                web.get("/api/work-orders", self._work_orders),
                web.post("/api/work-order", self._work_order),
                web.get("/api/hazards", self._hazards),
            ]
        )

    @property
    def _registry(self) -> Any:
        return self.console.backend.registry

    def _caller(self, request: web.Request, *, is_change: bool = False) -> Caller:
        return self.console.auth.caller(request, is_change=is_change)

    def _open(self, request: web.Request, caller: Caller, key: str) -> Incident:
        incidents = self.console.backend.open_incidents()
        inc = next((i for i in incidents if i.incident_key == key), None)
        if inc is None or not caller.scope.sees(inc):
            raise refuse(request, web.HTTPNotFound, "not_found")
        return inc

    # -- the story (issue 11.5) -------------------------------------------------------------
    async def _story(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        key = request.query.get("key", "")
        seen = any(
            i.incident_key == key and caller.scope.sees(i)
            for i in self.console.backend.open_incidents()
        )
        db = self.console.db
        if not seen:  # a closed one: the ledger says whether it is in scope
            found = await asyncio.to_thread(queries.incidents, db, "incident_key = ?", [key])
            if not found or not caller.scope.sees(found[0]):
                raise refuse(request, web.HTTPNotFound, "not_found")
        transitions, pages = await asyncio.to_thread(records.story_rows, db, key)
        return web.json_response(story.timeline(transitions, pages, self._member_name))

    def _member_name(self, member_id: str) -> str | None:
        member = self._registry.member(member_id)
        return member.name if member else None

    # -- assign (issue 11.6) ----------------------------------------------------------------
    async def _assignees(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        inc = self._open(request, caller, request.query.get("key", ""))
        if not assign.may_assign(self._registry, caller.member_id):
            raise refuse(request, web.HTTPForbidden, "forbidden")
        people = assign.candidates(self._registry, caller.scope, inc)
        return web.json_response(
            [{"member_id": m.member_id, "name": m.name, "role": m.role.value} for m in people]
        )

    async def _assign(self, request: web.Request) -> web.Response:
        caller = self._caller(request, is_change=True)
        body = await parse(request, AssignBody)
        inc = self._open(request, caller, body.incident_key)
        registry = self._registry
        if not assign.may_assign(registry, caller.member_id):
            raise refuse(request, web.HTTPForbidden, "forbidden")
        if not assign.may_assign_to(registry, caller.scope, inc, body.assignee):
            raise refuse(request, web.HTTPBadRequest, "bad_request")
        source = f"console {request.remote or '?'}"
        try:
            inc = await self.console.backend.act(
                ActionRequest(
                    inc.incident_key, Action.ASSIGN, caller.member_id, source, cause=body.assignee
                )
            )
        except TransitionError:
            raise refuse(request, web.HTTPConflict, "conflict") from None
        return web.json_response(self.console.view(inc))

    # -- history and the 台账 (issue 11.8) ---------------------------------------------------
    def _filters(self, request: web.Request) -> records.Filters:
        try:
            return records.parse_filters(dict(request.query))
        except ValueError:
            raise refuse(request, web.HTTPBadRequest, "bad_request") from None

    async def _history(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        filters = self._filters(request)
        page = request.query.get("page", "1")
        if not page.isdigit() or int(page) < 1:
            raise refuse(request, web.HTTPBadRequest, "bad_request")
        db, registry = self.console.db, self._registry
        scope = caller.scope
        found = await asyncio.to_thread(records.closed_incidents, db, registry, scope, filters)
        start = (int(page) - 1) * records.PER_PAGE
        shown = found[start : start + records.PER_PAGE]
        return web.json_response(
            {
                "total": len(found),
                "page": int(page),
                "per_page": records.PER_PAGE,
                "items": [self.console.view(i) for i in shown],
            }
        )

    def _lang(self, request: web.Request) -> str:
        lang = request.query.get("lang", "")
        return lang if lang in LANGS else negotiate(request.headers.get("Accept-Language"))

    async def _xlsx(self, request: web.Request) -> web.Response:
        caller, filters, lang = self._caller(request), self._filters(request), self._lang(request)
        db, registry = self.console.db, self._registry
        found = await asyncio.to_thread(
            sheets.all_sheets, db, registry, caller.scope, filters, lang
        )
        body = await asyncio.to_thread(export.to_xlsx, found, lang)
        return _download(body, export.XLSX_TYPE, "xlsx")

    async def _csv(self, request: web.Request) -> web.Response:
        caller, filters, lang = self._caller(request), self._filters(request), self._lang(request)
        which = request.query.get("sheet", "incidents")
        build = {
            "incidents": sheets.incidents_sheet,
            "work_orders": sheets.work_orders_sheet,
            "hazards": sheets.hazards_sheet,
            "patrols": sheets.patrols_sheet,
        }.get(which)
        if build is None:
            raise refuse(request, web.HTTPBadRequest, "bad_request")
        db, registry = self.console.db, self._registry
        sheet = await asyncio.to_thread(build, db, registry, caller.scope, filters, lang)
        return _download(export.to_csv(sheet, lang), "text/csv; charset=utf-8", "csv")

    # -- maintenance and hazards: their own lists, never the alarm list ---------------------
    async def _work_orders(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        now = self.console.clock.now()
        orders = [
            work_order_view(w, self._registry, now)
            for w in self.console.backend.work_orders()
            if w.compound_id in caller.scope.compound_ids
        ]
        return web.json_response(sorted(orders, key=lambda o: (not o["is_open"], o["due_at"])))

    async def _work_order(self, request: web.Request) -> web.Response:
        caller = self._caller(request, is_change=True)
        body = await parse(request, WorkOrderBody)
        order = next(
            (w for w in self.console.backend.work_orders() if w.order_id == body.order_id), None
        )
        if order is None or order.compound_id not in caller.scope.compound_ids:
            raise refuse(request, web.HTTPNotFound, "not_found")
        try:
            order = await self.console.backend.act_on_work_order(
                order.order_id, WorkOrderAction(body.action), caller.member_id
            )
        except KeyError:
            raise refuse(request, web.HTTPConflict, "conflict") from None
        return web.json_response(work_order_view(order, self._registry, self.console.clock.now()))

    async def _hazards(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        now = self.console.clock.now()
        found = await asyncio.to_thread(
            hazard_rows, self.console.db, self._registry, caller.scope, now
        )
        return web.json_response(found)


def _download(body: bytes, content_type: str, ext: str) -> web.Response:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"firewatch-ledger-{stamp}.{ext}"
    return web.Response(
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
