"""Hazards worked from the duty console (issue 18.4): one sign-in for duty staff. The console
and the hazard desk each on a real loopback HTTP server over one SQLite ledger; the console
forwards each step under the member's console session, the desk records who did it and
refuses what the role or the state does not allow. The desk's Kafka publication is not under
test here (tests/people cover it): its publisher records the updates."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from PIL import Image

from alerts.console.config import ConsoleConfig
from alerts.console.sessions import COOKIE, Sessions
from alerts.hazards.api import HazardApi
from alerts.hazards.auth import Auth, Signer
from alerts.hazards.desk import HazardDesk
from alerts.hazards.lifecycle import Command
from alerts.hazards.maintenance import MaintenanceItems
from alerts.hazards.patrols import load_patrols
from alerts.hazards.photos import PhotoShelf
from alerts.hazards.policy import HazardPolicy
from alerts.hazards.store import HazardStore
from alerts.ledger import Database
from alerts.registry import EXAMPLE_DIR, load_registry
from events.hazards import HazardAction, HazardUpdate
from events.reports import photo_relpath
from runtime.clock import Clock, ManualClock
from tests.people.rig import START, report

from .console_rig import ConsoleRig, serve_console


@dataclass
class Desk:
    desk: HazardDesk
    url: str
    published: list[HazardUpdate]
    photo_id: str


def _photo(root: Path) -> str:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 160, 40)).save(out, "JPEG")
    data = out.getvalue()
    photo_id = hashlib.sha256(data).hexdigest()
    path = root / photo_relpath(photo_id)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return photo_id


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@asynccontextmanager
async def serve_desk(tmp_path: Path, clock: Clock) -> AsyncIterator[Desk]:
    """The hazard desk's API on a loopback port over tmp_path/ledger.db, one photo on its
    shelf."""
    registry = load_registry(EXAMPLE_DIR)
    db = Database(f"sqlite:///{tmp_path}/ledger.db")
    shelf = PhotoShelf(tmp_path / "photos")
    photo_id = _photo(tmp_path / "photos")
    core = HazardDesk(
        registry,
        load_patrols(EXAMPLE_DIR, registry),
        HazardStore(db),
        MaintenanceItems(db),
        HazardPolicy(),
        clock,
        shelf,
    )
    auth = Auth(registry, Signer(b"k" * 32, 3600, clock), Sessions(db, clock, 3600))
    published: list[HazardUpdate] = []

    async def publish(updates: list[HazardUpdate]) -> None:
        published.extend(updates)

    async def stats(_month: str, _compounds: frozenset[str]) -> dict[str, Any]:
        return {}

    api = HazardApi(core, auth, publish, stats, shelf)
    runner = web.AppRunner(api.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield Desk(core, url, published, photo_id)
    finally:
        await runner.cleanup()
        db.close()


@pytest.fixture
async def desk(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Desk]:
    async with serve_desk(tmp_path, clock) as d:
        yield d


@pytest.fixture
async def rig(tmp_path: Path, clock: ManualClock, desk: Desk) -> AsyncIterator[ConsoleRig]:
    config = ConsoleConfig(hazard_desk_url=desk.url)
    async with serve_console(f"sqlite:///{tmp_path}/ledger.db", clock, config=config) as r:
        yield r


async def _step(rig: ConsoleRig, member: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with rig.signed_in(member) as (client, csrf):
        res = await client.post("/api/hazard-step", json=body, headers={"X-CSRF-Token": csrf})
        return res.status_code, res.json()


async def test_a_hazard_travels_to_closure_from_the_console(
    rig: ConsoleRig, desk: Desk, clock: ManualClock
) -> None:
    [opened] = desk.desk.take(report())
    hid = opened.hazard_id
    owner = {"kind": "property_company", "name": "示例物业"}
    day = (clock.now() + timedelta(days=3)).date().isoformat()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("so-1", {"action": "triage", "severity": "major", "owner": owner}),
        ("cr-1", {"action": "assign", "assignee": "物业值班", "deadline_day": day}),
        ("gw-1", {"action": "rectify", "photo_ids": [desk.photo_id], "note": "车已移走"}),
        ("ste-m1", {"action": "reinspect", "note": "楼梯畅通"}),
        ("so-1", {"action": "close"}),
    ]
    states = []
    for member, body in steps:
        if body["action"] == "rectify":  # the field step: the console forwards no photo ids
            status, _ = await _step(rig, member, {"hazard_id": hid, **body})
            assert status == 400
            rectified = desk.desk.act(hid, _rectify(desk.photo_id), member, "community")
            states.append(rectified.state.value)
            continue
        status, answer = await _step(rig, member, {"hazard_id": hid, **body})
        assert status == 200, answer
        states.append(answer["state"])
    assert states == ["triaged", "assigned", "rectified", "reinspected", "closed"]
    stored = desk.desk.store.hazard(hid)
    assert stored is not None
    assert stored.deadline_at is not None
    deadline = stored.deadline_at
    shanghai = deadline.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (shanghai.date().isoformat(), shanghai.strftime("%H:%M")) == (day, "23:59")
    changes = desk.desk.store.changes(hid)
    people = [(c.actor, c.source.split(" ")[0]) for c in changes if c.source != "community"]
    assert people[1:] == [
        ("so-1", "hazard-api"),
        ("cr-1", "hazard-api"),
        ("ste-m1", "hazard-api"),
        ("so-1", "hazard-api"),
    ]
    assert [u.state.value for u in desk.published][-1] == "closed"
    async with rig.signed_in("ste-m1") as (client, _csrf):
        one = (await client.get("/api/hazard", params={"id": hid})).json()
        photo = await client.get(f"/api/hazard-photo/{desk.photo_id}")
    assert [c["action"] for c in one["changes"]][-2:] == ["reinspect", "close"]
    assert desk.photo_id in one["photo_ids"]
    assert photo.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == (32, 24)


def _rectify(photo_id: str) -> Command:
    return Command(HazardAction.RECTIFY, None, None, None, None, None, (photo_id,), "车已移走")


async def test_the_desk_refuses_by_role_state_and_session(rig: ConsoleRig, desk: Desk) -> None:
    [opened] = desk.desk.take(report())
    hid = opened.hazard_id
    status, answer = await _step(rig, "ste-m1", {"hazard_id": hid, "action": "close"})
    assert (status, answer["error"]) == (403, "forbidden")  # a member does not close
    status, answer = await _step(rig, "so-1", {"hazard_id": hid, "action": "close"})
    assert (status, answer["error"]) == (409, "conflict")  # not re-inspected yet
    assert "not allowed" in answer["detail"]
    async with rig.signed_in("so-1") as (client, _csrf):
        no_csrf = await client.post("/api/hazard-step", json={"hazard_id": hid, "action": "close"})
        assert no_csrf.status_code == 403
        token = client.cookies.get(COOKIE) or ""
        assert token
        await client.post("/api/logout", json={}, headers={"X-CSRF-Token": _csrf})
    async with rig.client() as stranger:  # the ended session, straight to the desk
        direct = await stranger.get(
            f"{desk.url}/api/hazards/{hid}", headers={"X-Console-Session": token}
        )
        assert direct.status_code == 401
    async with rig.signed_in("stw-m1") as (client, _csrf):  # c-north only
        elsewhere = await client.get("/api/hazard", params={"id": hid})
        assert elsewhere.status_code == 404


async def test_a_desk_that_is_down_is_named(tmp_path: Path, clock: ManualClock) -> None:
    config = ConsoleConfig(hazard_desk_url="http://127.0.0.1:9", hazard_desk_timeout_s=2.0)
    db_url = f"sqlite:///{tmp_path}/l.db"
    async with (
        serve_console(db_url, clock, config=config) as rig,
        rig.signed_in("so-1") as (client, _csrf),
    ):
        res = await client.get("/api/hazard", params={"id": "hz-1"})
    assert (res.status_code, res.json()["error"]) == (503, "desk_unavailable")
    assert res.json()["message"] == "隐患台暂时无法连接，请稍后重试"
