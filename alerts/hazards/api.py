"""The hazard desk over HTTP (JSON): list and read hazards in one's scope, take the loop's
steps, patrol coverage, maintenance items, monthly statistics, and the photos behind them.
Every step is recorded with who (the signed-in member), when (the desk's clock) and from where
("hazard-api" and the client address)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from alerts.errors import TransitionError
from alerts.hazards.auth import Auth
from alerts.hazards.desk import HazardDesk
from alerts.hazards.lifecycle import Command
from alerts.hazards.model import OPEN_STATES
from alerts.hazards.photos import PhotoShelf
from alerts.hazards.views import change_view, hazard_view
from events.hazards import HazardAction, HazardOwner, HazardSeverity, HazardUpdate
from events.reports import HazardCategory


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: HazardAction
    severity: HazardSeverity | None = None
    category: HazardCategory | None = None
    owner: HazardOwner | None = None
    assignee: str | None = Field(default=None, max_length=100)
    deadline_at: AwareDatetime | None = None
    photo_ids: tuple[str, ...] = Field(default=(), max_length=3)
    note: str = Field(default="", max_length=500)

    def command(self) -> Command:
        return Command(
            self.action,
            self.severity,
            self.category,
            self.owner,
            self.assignee,
            self.deadline_at,
            self.photo_ids,
            self.note,
        )


class Publisher(Protocol):
    async def __call__(self, updates: list[HazardUpdate]) -> None: ...


Reports = Callable[[str, frozenset[str]], Awaitable[dict[str, Any]]]


class HazardApi:
    def __init__(
        self, desk: HazardDesk, auth: Auth, publish: Publisher, stats: Reports, shelf: PhotoShelf
    ) -> None:
        self.desk, self.auth, self.publish, self.stats = desk, auth, publish, stats
        self.shelf = shelf
        self.app = web.Application()
        self.app.add_routes(
            [
                web.post("/api/hazards/login", auth.login),
                web.get("/api/hazards", self._list),
                web.get("/api/hazards/{hazard_id}", self._one),
                web.post("/api/hazards/{hazard_id}/actions", self._act),
                web.get("/api/maintenance", self._maintenance),
                web.get("/api/stats/{month}", self._stats),
                web.get("/api/photos/{photo_id}", self._photo),
            ]
        )

    def _now(self) -> datetime:
        return self.desk.clock.now()

    async def _list(self, request: web.Request) -> web.Response:
        viewer = self.auth.viewer(request)
        states = OPEN_STATES if request.query.get("state", "open") == "open" else None
        found = self.desk.store.hazards(states, viewer.compound_ids)
        return web.json_response([hazard_view(h, self._now()) for h in found])

    async def _one(self, request: web.Request) -> web.Response:
        viewer = self.auth.viewer(request)
        h = self.desk.store.hazard(request.match_info["hazard_id"])
        if h is None or not viewer.sees(h):
            raise web.HTTPNotFound(text="no such hazard in your area")
        view = hazard_view(h, self._now())
        view["changes"] = [change_view(c) for c in self.desk.store.changes(h.hazard_id)]
        # For calling the reporter back; they consented to exactly that (events/reports.py).
        view["reporter_contact"] = (
            h.reporter_contact.model_dump(mode="json") if h.reporter_contact else None
        )
        return web.json_response(view)

    async def _act(self, request: web.Request) -> web.Response:
        viewer = self.auth.viewer(request, is_change=True)
        try:
            body = ActionBody.model_validate(await request.json())
        except (ValidationError, ValueError) as exc:
            raise web.HTTPBadRequest(text=f"bad action: {exc}") from None
        h = self.desk.store.hazard(request.match_info["hazard_id"])
        if h is None or not viewer.sees(h):
            raise web.HTTPNotFound(text="no such hazard in your area")
        if not viewer.may(body.action):
            raise web.HTTPForbidden(text=f"a {viewer.role.value} may not {body.action.value}")
        source = f"hazard-api {request.remote or '?'}"
        try:
            update = self.desk.act(h.hazard_id, body.command(), viewer.member_id, source)
        except TransitionError as exc:
            raise web.HTTPConflict(text=str(exc)) from None
        await self.publish([update])
        return web.json_response(update.model_dump(mode="json"))

    async def _maintenance(self, request: web.Request) -> web.Response:
        viewer = self.auth.viewer(request)
        items = [
            {
                "item_id": i.item_id,
                "kind": i.kind.value,
                "subject": i.subject,
                "compound_id": i.compound_id,
                "opened_at": i.opened_at.isoformat(),
                "due_at": i.due_at.isoformat(),
                "detail": i.detail,
            }
            for i in self.desk.items.open_items()
            if i.compound_id is None or i.compound_id in viewer.compound_ids
        ]
        return web.json_response(items)

    async def _stats(self, request: web.Request) -> web.Response:
        viewer = self.auth.viewer(request)
        try:
            result = await self.stats(request.match_info["month"], viewer.compound_ids)
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(result)

    async def _photo(self, request: web.Request) -> web.StreamResponse:
        """A photo of a hazard in the viewer's area (residents' photos are not public)."""
        viewer = self.auth.viewer(request)
        photo_id = request.match_info["photo_id"]
        path = self.shelf.path(photo_id)
        mine = self.desk.store.hazards(None, viewer.compound_ids)
        if path is None or not any(photo_id in h.photo_ids for h in mine):
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "image/jpeg"})
