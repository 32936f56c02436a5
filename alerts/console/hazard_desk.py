"""Hazards (隐患) worked from the duty console (issue 18.4): triage, assign with a deadline,
see the rectification photos, re-inspect, close -- one sign-in for duty staff.

The hazard desk stays its own service with its own core (alerts.hazards: pure lifecycle, its
lock, its Kafka topic); the console does not take its steps itself. It checks the member's
session, CSRF token and scope, then forwards the step to the desk's API with the session's
token (alerts/hazards/auth.py: X-Console-Session), so the desk records who did it and from
where, and refuses what the member's role may not do. The desk's words come back as they
are; its refusals keep their status (403 role, 409 state, 400 form).
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from alerts.console.i18n import negotiate, text
from alerts.console.security import refuse
from alerts.hazards.store import HazardStore
from events.hazards import HazardAction, HazardOwner, HazardSeverity
from events.reports import HazardCategory

if TYPE_CHECKING:
    from alerts.console.server import Console

# The steps a person takes on the console; report, join and escalate are the desk's own.
_STEPS = frozenset(HazardAction) - {HazardAction.REPORT, HazardAction.JOIN, HazardAction.ESCALATE}
_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict"}
_PHOTO_ID = frozenset("0123456789abcdef")


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


class HazardStepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hazard_id: str = Field(min_length=1, max_length=200)
    action: HazardAction
    severity: HazardSeverity | None = None
    category: HazardCategory | None = None
    owner: HazardOwner | None = None
    assignee: str | None = Field(default=None, max_length=100)
    deadline_at: AwareDatetime | None = None
    # The page's date picker: the end of that day in the hazard's compound's time zone.
    deadline_day: date | None = None
    note: str = Field(default="", max_length=500)


class HazardDeskApi:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._http: aiohttp.ClientSession | None = None
        console.app.on_cleanup.append(self._close)
        console.app.add_routes(
            [
                web.get("/api/hazard", self._one),
                web.post("/api/hazard-step", self._step),
                web.get("/api/hazard-photo/{photo_id}", self._photo),
            ]
        )

    async def _close(self, _app: web.Application) -> None:
        if self._http is not None:
            await self._http.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            timeout = aiohttp.ClientTimeout(total=self.console.config.hazard_desk_timeout_s)
            self._http = aiohttp.ClientSession(
                base_url=self.console.config.hazard_desk_url, timeout=timeout
            )
        return self._http

    async def _desk(
        self, request: web.Request, method: str, path: str, body: Any = None
    ) -> tuple[int, bytes, str]:
        """One call to the desk under the caller's console session."""
        caller = self.console.auth.caller(request, is_change=method == "POST")
        headers = {"X-Console-Session": caller.token}
        try:
            async with self._client().request(method, path, json=body, headers=headers) as res:
                return res.status, await res.read(), res.content_type
        except (aiohttp.ClientError, TimeoutError):
            raise refuse(request, web.HTTPServiceUnavailable, "desk_unavailable") from None

    def _answer(self, request: web.Request, status: int, data: bytes) -> web.Response:
        if status == 200:
            return web.Response(body=data, content_type="application/json")
        code = _CODES.get(status)
        if code is None:
            raise refuse(request, web.HTTPServiceUnavailable, "desk_unavailable")
        lang = negotiate(request.headers.get("Accept-Language"))
        words = {
            "error": code,
            "message": text(lang, f"error.{code}"),
            "detail": data.decode("utf-8", "replace")[:500],  # the desk's own reason
        }
        return web.json_response(words, status=status, dumps=_dumps)

    async def _one(self, request: web.Request) -> web.Response:
        hazard_id = request.query.get("id", "")
        if not hazard_id:
            raise refuse(request, web.HTTPBadRequest, "bad_request")
        status, data, _ = await self._desk(request, "GET", f"/api/hazards/{quote(hazard_id)}")
        return self._answer(request, status, data)

    async def _step(self, request: web.Request) -> web.Response:
        self.console.auth.caller(request, is_change=True)  # CSRF before the body is read
        try:
            body = HazardStepBody.model_validate_json(await request.read())
        except ValidationError:
            raise refuse(request, web.HTTPBadRequest, "bad_request") from None
        if body.action not in _STEPS:
            raise refuse(request, web.HTTPBadRequest, "bad_request")
        if body.deadline_day is not None and body.deadline_at is None:
            body = body.model_copy(update={"deadline_at": self._end_of(body)})
        step = body.model_dump(
            mode="json", exclude={"hazard_id", "deadline_day"}, exclude_none=True
        )
        path = f"/api/hazards/{quote(body.hazard_id)}/actions"
        status, data, _ = await self._desk(request, "POST", path, step)
        return self._answer(request, status, data)

    def _end_of(self, body: HazardStepBody) -> datetime | None:
        """23:59 of the chosen day where the hazard is (a deadline people read locally)."""
        assert body.deadline_day is not None
        hazard = HazardStore(self.console.db).hazard(body.hazard_id)
        compound = self.console.backend.registry.compound(hazard.compound_id) if hazard else None
        zone = ZoneInfo(compound.timezone if compound else "Asia/Shanghai")
        return datetime.combine(body.deadline_day, time(23, 59), zone)

    async def _photo(self, request: web.Request) -> web.Response:
        """A rectification or report photo of a hazard in the member's area (the desk checks
        that); served from the console's own origin, so the page's CSP (img-src 'self')
        holds."""
        photo_id = request.match_info["photo_id"]
        if not photo_id or not set(photo_id) <= _PHOTO_ID or len(photo_id) > 128:
            raise refuse(request, web.HTTPNotFound, "not_found")
        status, data, kind = await self._desk(request, "GET", f"/api/photos/{photo_id}")
        if status != 200 or kind != "image/jpeg":
            raise refuse(request, web.HTTPNotFound, "not_found")
        return web.Response(body=data, content_type="image/jpeg")
