"""The incidents dashboard's ledger panels (Grafana's PostgreSQL datasource) run against a real
PostgreSQL ledger written by dispatch's own core and shell, and say what a station chief needs:
open incidents by station, time to acknowledge and to scene, false alarms per device.

The SQL is taken from deploy/grafana/dashboards/incidents.json as Grafana sends it, with its
one macro expanded the way Grafana's PostgreSQL datasource expands it
(`$__unixEpochFilter(col)` -> `col >= <from> AND col <= <to>`, epoch seconds)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from alerts.lifecycle import Action, Outcome
from runtime.clock import ManualClock
from tests import postgres
from tests.alerts.rig import DAY, build_rig, make_alert
from tests.deploy.conftest import DEPLOY

pytestmark = pytest.mark.integration

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "incidents.json"
_FILTER = re.compile(r"\$__unixEpochFilter\(([^)]+)\)")


def _panel_sql(title: str) -> str:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    panel = next(p for p in panels if p["title"] == title)
    assert panel["datasource"]["uid"] == "postgres"
    (target,) = panel["targets"]
    assert target["format"] == "table"
    return str(target["rawSql"])


def _as_grafana_sends(sql: str, start: datetime, end: datetime) -> str:
    window = f"{start.timestamp():.0f}", f"{end.timestamp():.0f}"
    return _FILTER.sub(lambda m: f"{m[1]} >= {window[0]} AND {m[1]} <= {window[1]}", sql)


@pytest.fixture(scope="module")
def admin_url() -> Iterator[str]:
    reason = postgres.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres.postgres_server() as url:
        yield url


async def _station_day(db_url: str) -> ManualClock:
    """st-east (c001): one fire acknowledged after 25 s, on scene after 120 s, a false alarm
    (steam) of sd-1; one fire still open, not acknowledged. st-west (c-north): one fire open,
    acknowledged after 40 s."""
    clock = ManualClock(DAY)
    rig = build_rig(db_url, clock)
    steam = await rig.alert(make_alert())
    assert steam is not None
    clock.advance(25)
    await rig.act(steam.incident_key, Action.ACKNOWLEDGE)
    clock.advance(95)
    await rig.act(steam.incident_key, Action.ON_SCENE)
    await rig.act(steam.incident_key, Action.RESOLVE, outcome=Outcome.FALSE_ALARM, cause="steam")
    clock.advance(60)
    east = await rig.alert(make_alert(device="c001-b2-u1-smk", building="b2", at=clock.now()))
    north = await rig.alert(
        make_alert(device="n1-smk", compound="c-north", building="n1", at=clock.now())
    )
    assert east is not None
    assert north is not None
    assert (east.station_id, north.station_id) == ("st-east", "st-west")
    clock.advance(40)
    await rig.act(north.incident_key, Action.ACKNOWLEDGE, actor="stw-chief")
    rig.ledger.db.close()
    return clock


def _rows(db_url: str, sql: str) -> list[dict[str, Any]]:
    import psycopg  # noqa: PLC0415 - optional dependency of PostgreSQL tests

    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        names = [c.name for c in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


async def test_open_incidents_by_station(admin_url: str) -> None:
    db_url = postgres.fresh_database(admin_url)
    await _station_day(db_url)
    rows = _rows(db_url, _panel_sql("Open incidents by station"))
    counts = [
        (r["station"], r["p1"], r["p2"], r["other"], r["not_acknowledged"], r["open_incidents"])
        for r in rows
    ]
    assert counts == [("st-east", 1, 0, 0, 1, 1), ("st-west", 1, 0, 0, 0, 1)]
    assert all(r["oldest_opened_at"] == DAY + timedelta(seconds=180) for r in rows)


async def test_time_to_acknowledge_and_to_scene_in_the_time_range(admin_url: str) -> None:
    db_url = postgres.fresh_database(admin_url)
    clock = await _station_day(db_url)
    sql = _panel_sql("Time to acknowledge and to scene by station (s)")
    rows = _rows(db_url, _as_grafana_sends(sql, DAY - timedelta(hours=1), clock.now()))
    by_station = {r.pop("station"): r for r in rows}
    assert by_station["st-east"] == {
        "incidents": 2,
        "acknowledged": 1,
        "ack_median_s": 25.0,
        "ack_p90_s": 25.0,
        "on_scene": 1,
        "scene_median_s": 120.0,
        "scene_p90_s": 120.0,
    }
    assert (by_station["st-west"]["incidents"], by_station["st-west"]["ack_median_s"]) == (1, 40.0)
    assert by_station["st-west"]["scene_median_s"] is None  # nobody on scene yet
    # A range before the day holds nothing: the panel follows the dashboard's time picker.
    earlier = _as_grafana_sends(sql, DAY - timedelta(days=2), DAY - timedelta(days=1))
    assert _rows(db_url, earlier) == []


async def test_false_alarms_per_device(admin_url: str) -> None:
    db_url = postgres.fresh_database(admin_url)
    clock = await _station_day(db_url)
    sql = _as_grafana_sends(
        _panel_sql("False alarms per device"), DAY - timedelta(days=1), clock.now()
    )
    rows = _rows(db_url, sql)
    assert [(r["device"], r["compound"], r["false_alarms"]) for r in rows] == [("sd-1", "c001", 1)]
    assert rows[0]["last_false_alarm_at"] == DAY
