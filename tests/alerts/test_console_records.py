"""The console's phase 2 over real HTTP, the real dispatcher and a SQLite ledger: the
incident's story from the ledger, assign per role, mutual aid in scope, history and the 台账
export (.xlsx opened with openpyxl and compared with the ledger), work orders apart from
duty, formulas in fields never run."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alerts.hazards.model import Hazard, HazardChange
from alerts.hazards.store import HazardStore
from alerts.ledger import Database
from alerts.ledger.queries import incidents, transitions, work_orders
from events.alerts import AlertKind, AlertStatus
from events.hazards import HazardAction, HazardState
from events.reports import HazardCategory
from runtime.clock import ManualClock
from tests.people.rig import checkin

from .console_rig import ConsoleRig, serve_console
from .rig import DAY, make_alert

SMOKE = "c001-b1-f3-u2-smk"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DAY)


@pytest.fixture
async def rig(tmp_path: Path, clock: ManualClock) -> AsyncIterator[ConsoleRig]:
    async with serve_console(f"sqlite:///{tmp_path}/ledger.db", clock) as r:
        yield r


async def _fire(rig: ConsoleRig) -> str:
    return (await rig.raise_alert(make_alert(device=SMOKE, at=DAY))).incident_key


async def _act(rig: ConsoleRig, member: str, key: str, action: str, **extra: str) -> int:
    async with rig.signed_in(member) as (client, csrf):
        body = {"incident_key": key, "action": action, **extra}
        res = await client.post("/api/action", json=body, headers={"X-CSRF-Token": csrf})
        return res.status_code


async def test_the_story_lists_pages_with_channel_and_outcome_and_who_acted(
    rig: ConsoleRig,
) -> None:
    key = await _fire(rig)
    assert await _act(rig, "ste-m1", key, "acknowledge") == 200
    async with rig.signed_in("ste-m1") as (client, _csrf):
        story = (await client.get("/api/story", params={"key": key})).json()
    pages = [e for e in story if e["type"] == "page"]
    ledger_pages = Database(rig.db_url).query(
        "SELECT recipient, channel, is_ok FROM notifications WHERE incident_key = ?", (key,)
    )
    assert {(e["who"], e["channel"], e["is_ok"]) for e in pages} == {
        (r, c, bool(ok)) for r, c, ok in ledger_pages
    }
    assert {e["channel"] for e in pages} >= {"console", "sms"}
    assert any(e["who"] == "cr-1" and e["who_name"] for e in pages)  # the control room too
    acts = [(e["action"], e["who"], e["from_console"]) for e in story if e["type"] == "action"]
    assert acts == [("dispatch", "dispatch", False), ("acknowledge", "ste-m1", True)]
    assert story == sorted(story, key=lambda e: e["at"])
    planned = [e for e in story if e["type"] == "planned"]
    assert [t["task"] for t in planned[0]["tasks"]] == ["release_locks", "release_locks"]
    # Every dispatcher note of this fire is recognised: none is left as English text.
    assert [e["detail"] for e in story if e["type"] == "note"] == []


async def test_the_story_is_scoped(rig: ConsoleRig) -> None:
    key = await _fire(rig)
    async with rig.signed_in("stw-m1") as (client, _csrf):
        res = await client.get("/api/story", params={"key": key})
    assert res.status_code == 404


@pytest.mark.parametrize(
    ("assigner", "allowed"),
    [
        ("ste-chief", True),
        ("cr-1", True),
        ("so-1", True),
        ("ste-m1", False),
        ("gw-1", False),
    ],
)
async def test_who_may_assign(rig: ConsoleRig, assigner: str, allowed: bool) -> None:
    key = await _fire(rig)
    async with rig.signed_in(assigner) as (client, csrf):
        res = await client.post(
            "/api/assign",
            json={"incident_key": key, "assignee": "ste-m2"},
            headers={"X-CSRF-Token": csrf},
        )
    assert res.status_code == (200 if allowed else 403)
    recorded = [t for t in transitions(Database(rig.db_url), key) if t[0] == "assign"]
    assert [(t[3], t[6]) for t in recorded] == ([(assigner, "ste-m2")] if allowed else [])


async def test_assign_reassign_then_the_assignee_goes_on_scene(rig: ConsoleRig) -> None:
    key = await _fire(rig)
    async with rig.signed_in("ste-chief") as (client, csrf):
        people = (await client.get("/api/assignees", params={"key": key})).json()
        assert {"ste-m2", "ste-m3", "cr-1", "gw-1"} <= {p["member_id"] for p in people}
        assert "stw-m1" not in {p["member_id"] for p in people}  # not called to this one
        stranger = await client.post(
            "/api/assign",
            json={"incident_key": key, "assignee": "stw-m1"},
            headers={"X-CSRF-Token": csrf},
        )
        assert stranger.status_code == 400
        for who in ("ste-m2", "ste-m3"):
            res = await client.post(
                "/api/assign",
                json={"incident_key": key, "assignee": who},
                headers={"X-CSRF-Token": csrf},
            )
            assert res.json()["assignee"]["member_id"] == who
    assert await _act(rig, "ste-m3", key, "on_scene") == 200
    stored = rig.backend.ledger.incident(key)
    assert stored is not None
    assert (stored.assignee, stored.state.value) == ("ste-m3", "on_scene")
    actions = [(t[0], t[3], t[6]) for t in transitions(Database(rig.db_url), key)]
    assert ("assign", "ste-chief", "ste-m2") in actions
    assert ("assign", "ste-chief", "ste-m3") in actions
    assert actions[-1][:2] == ("on_scene", "ste-m3")


async def test_a_mutual_aid_station_sees_the_incident_it_was_paged_for(
    rig: ConsoleRig, clock: ManualClock
) -> None:
    key = await _fire(rig)
    async with rig.signed_in("stw-m1") as (client, _csrf):
        assert (await client.get("/api/incidents")).json() == []
        clock.advance(181)  # nobody on scene after 3 minutes: the ladder calls mutual aid
        await rig.backend.step(rig.backend.core.on_tick(clock.now()))
        seen = (await client.get("/api/incidents")).json()
    assert [i["incident_key"] for i in seen] == [key]
    assert "st-west" in seen[0]["paged_stations"]
    async with rig.signed_in("stw-m1") as (client, _csrf):
        story = (await client.get("/api/story", params={"key": key})).json()
    aid = {e["who"] for e in story if e.get("step_id") == "p1-mutual-aid" and e["type"] == "page"}
    shift = rig.backend.registry.station("st-west").shift_at(clock.now())
    assert shift is not None
    people = {who for who in aid if not who.startswith("terminal:")}
    assert people == set(shift.members)  # the nearest other station's shift, in the story


async def _resolved(rig: ConsoleRig, clock: ManualClock) -> tuple[str, str]:
    fire = await _fire(rig)
    clock.advance(30)
    assert await _act(rig, "ste-m1", fire, "acknowledge") == 200
    clock.advance(95)
    assert await _act(rig, "ste-m1", fire, "on_scene") == 200
    assert await _act(rig, "ste-m1", fire, "resolve", outcome="real_fire") == 200
    door = await rig.raise_alert(
        make_alert(AlertKind.DOOR_HELD_OPEN, "c001-b2-exit1", at=clock.now(), building="b2")
    )
    assert await _act(rig, "ste-m2", door.incident_key, "acknowledge") == 200
    cause = '=HYPERLINK("http://evil.example")'
    outcome = {"outcome": "false_alarm", "cause": cause}
    assert await _act(rig, "ste-m2", door.incident_key, "resolve", **outcome) == 200
    return fire, door.incident_key


async def test_history_filters_and_pages_closed_incidents_in_scope(
    rig: ConsoleRig, clock: ManualClock
) -> None:
    fire, door = await _resolved(rig, clock)
    async with rig.signed_in("ste-m1") as (client, _csrf):
        every = (await client.get("/api/history")).json()
        assert (every["total"], [i["incident_key"] for i in every["items"]]) == (2, [door, fire])
        fires = (await client.get("/api/history", params={"outcome": "real_fire"})).json()
        assert [i["incident_key"] for i in fires["items"]] == [fire]
        by_kind = (await client.get("/api/history", params={"kind": "door_held_open"})).json()
        assert [i["incident_key"] for i in by_kind["items"]] == [door]
        day = DAY.date().isoformat()
        later = (await client.get("/api/history", params={"since": "2099-01-01"})).json()
        today = (await client.get("/api/history", params={"since": day, "until": day})).json()
        assert (later["total"], today["total"]) == (0, 2)
        assert (await client.get("/api/history", params={"since": "x"})).status_code == 400
    async with rig.signed_in("stw-m1") as (client, _csrf):
        assert (await client.get("/api/history")).json()["total"] == 0


async def test_the_xlsx_export_holds_the_ledger_rows(rig: ConsoleRig, clock: ManualClock) -> None:
    fire, door = await _resolved(rig, clock)
    store = HazardStore(Database(rig.db_url))
    store.record_checkin(checkin("c001-b1-exit", DAY + timedelta(minutes=5)))
    store.record_checkin(checkin("n1-exit", DAY, compound_id="c-north", round_id="n-exits"))
    async with rig.signed_in("ste-m1") as (client, _csrf):
        res = await client.get("/api/export.xlsx")
        english = await client.get("/api/export.xlsx", params={"lang": "en"})
    assert res.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(res.content))
    assert book.sheetnames == ["警情台账", "维保工单", "隐患", "巡查"]
    rows = list(book["警情台账"].iter_rows(values_only=True))
    header, lines = rows[0], {r[-1]: r for r in rows[1:]}
    assert header[:3] == ("报警时间", "小区", "位置")
    ledger = {i.incident_key: i for i in incidents(Database(rig.db_url), "1 = 1", [])}
    assert set(lines) == {fire, door} == set(ledger)
    line = dict(zip(header, lines[fire], strict=True))
    assert line["位置"] == "1号楼 3层 2单元 卧室 烟感"
    assert (line["设备"], line["类型"], line["处置结果"]) == (SMOKE, "火警", "真实火警")
    assert (line["响应用时"], line["到场用时"]) == ("00:30", "02:05")
    assert line["处置人"] == "张伟 (ste-m1)"
    door_line = dict(zip(header, lines[door], strict=True))
    assert door_line["误报原因"] == '\'=HYPERLINK("http://evil.example")'  # text, not a formula
    patrols = list(book["巡查"].iter_rows(values_only=True))
    assert patrols[0] == ("巡查时间", "小区", "巡查路线", "巡查点", "巡查人", "结果", "备注")
    assert patrols[1:] == [  # c-north's round is not this station's business
        ("2026-01-05 10:05:00", "和平里小区", "c001-exits", "c001-b1-exit", "gw-1", "正常", None)
    ]
    en = load_workbook(io.BytesIO(english.content))
    assert en.sheetnames == ["Incidents", "Work orders", "Hazards", "Patrols"]
    assert next(en["Incidents"].iter_rows(values_only=True))[:3] == ("Time", "Compound", "Place")


async def test_csv_export_per_sheet_in_the_members_language(
    rig: ConsoleRig, clock: ManualClock
) -> None:
    await _resolved(rig, clock)
    async with rig.signed_in("ste-m1") as (client, _csrf):
        res = await client.get("/api/export.csv")
        bad = await client.get("/api/export.csv", params={"sheet": "passwords"})
    assert bad.status_code == 400
    assert res.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[0][0] == "报警时间"
    assert len(rows) == 3


async def test_work_orders_have_their_own_list_and_are_taken_and_closed(
    rig: ConsoleRig, clock: ManualClock
) -> None:
    battery = make_alert(AlertKind.LOW_BATTERY, "c001-b2-f5-cor-smk", at=DAY, building="b2")
    assert await rig.report(battery) is None  # maintenance is not duty
    async with rig.signed_in("ste-m1") as (client, csrf):
        assert (await client.get("/api/incidents")).json() == []
        [order] = (await client.get("/api/work-orders")).json()
        assert (order["kind"], order["is_open"], order["is_overdue"]) == (
            "low_battery",
            True,
            False,
        )
        taken = await client.post(
            "/api/work-order",
            json={"order_id": order["order_id"], "action": "acknowledge"},
            headers={"X-CSRF-Token": csrf},
        )
        assert taken.json()["acknowledged_by"] == "ste-m1"
    clock.advance(timedelta(hours=25))  # DOMAIN.md §2: due within 24 h
    async with rig.signed_in("ste-m2") as (client, csrf):
        [late] = (await client.get("/api/work-orders")).json()
        assert late["is_overdue"] is True
        closed = await client.post(
            "/api/work-order",
            json={"order_id": order["order_id"], "action": "close"},
            headers={"X-CSRF-Token": csrf},
        )
        assert (closed.json()["state"], closed.json()["done_by"]) == ("done", "ste-m2")
    async with rig.signed_in("stw-m1") as (client, csrf):
        assert (await client.get("/api/work-orders")).json() == []
    [stored] = work_orders(Database(rig.db_url))
    assert (stored.acknowledged_by, stored.done_by, stored.state.value) == (
        "ste-m1",
        "ste-m2",
        "done",
    )
    # The device clearing later changes nothing a person recorded.
    cleared = battery.model_copy(update={"revision": 2, "status": AlertStatus.CLEARED})
    await rig.report(cleared)
    assert work_orders(Database(rig.db_url))[0].done_by == "ste-m2"


def _hazard(db_url: str, title: str, building: str = "b1") -> str:
    hazard = Hazard(
        hazard_id="hz-1",
        category=HazardCategory.BLOCKED_ROUTE,
        compound_id="c001",
        found_at=DAY,
        title=title,
        building_id=building,
        floor=1,
        state=HazardState.ASSIGNED,
        assignee="gw-1",
        deadline_at=DAY + timedelta(days=1),
    )
    change = HazardChange("hz-1", 1, HazardAction.REPORT, None, HazardState.FOUND, "r", DAY, "t")
    hazard.seq = 1
    HazardStore(Database(db_url)).save(hazard, change)
    return hazard.hazard_id


async def test_a_hazard_in_the_burning_building_shows_on_the_card_and_in_the_export(
    rig: ConsoleRig,
) -> None:
    title = "<img src=x onerror=alert(1)>=1+1"
    _hazard(rig.db_url, title)
    key = await _fire(rig)
    async with rig.signed_in("ste-m1") as (client, _csrf):
        [card] = (await client.get("/api/incidents")).json()
        hazards = (await client.get("/api/hazards")).json()
        book = load_workbook(io.BytesIO((await client.get("/api/export.xlsx")).content))
    assert card["incident_key"] == key
    assert [h["title"] for h in card["hazards"]] == [title]
    assert [h["hazard_id"] for h in hazards] == ["hz-1"]
    [_header, line] = list(book["隐患"].iter_rows(values_only=True))
    assert line[4] == title  # kept as written: a cell, not markup, and not a formula
    assert line[2] == "1号楼 1层"
