"""Every read scoped to the member's stations and compounds, per role (issue 12.4): incidents,
the live stream's snapshot, site plans and floor plans; actions likewise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from runtime.clock import ManualClock

from .console_rig import ConsoleRig, serve_console
from .rig import DAY, make_alert


@pytest.fixture(scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleRig]:
    path = tmp_path_factory.mktemp("scope") / "ledger.db"
    async with serve_console(f"sqlite:///{path}", ManualClock(DAY)) as r:
        # A fire in c001 at 10:00 Shanghai: routed to st-east (nearest on duty).
        inc = await r.raise_alert(make_alert(device="c001-b1-f3-u2-smk", at=DAY))
        assert inc.station_id == "st-east"
        yield r


async def _snapshot(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    async with client.stream("GET", "/api/stream") as res:
        assert res.status_code == 200
        async for line in res.aiter_lines():
            if line.startswith("data: "):
                data: list[dict[str, Any]] = json.loads(line.removeprefix("data: "))
                return data
    raise AssertionError("the stream ended before its snapshot")


# member id -> (sees the c001 fire, site plans it may read)
ROLES = {
    "ste-m1": (True, {"c001"}),  # station member: the station's compound
    "ste-chief": (True, {"c001"}),  # station chief: the same station scope
    "cr-1": (True, {"c001"}),  # compound control room
    "gw-1": (True, {"c001"}),  # the compound's grid worker
    "so-1": (True, {"c001", "c-north"}),  # street duty: every station and compound of the street
    "stw-m1": (False, {"c-north"}),  # the other station's member
}


@pytest.mark.parametrize("member", list(ROLES))
async def test_reads_are_scoped_per_role(rig: ConsoleRig, member: str) -> None:
    sees_fire, plans = ROLES[member]
    key = rig.backend.open_incidents()[0].incident_key
    async with rig.signed_in(member) as (client, _csrf):
        listed = [i["incident_key"] for i in (await client.get("/api/incidents")).json()]
        assert listed == ([key] if sees_fire else [])
        streamed = [i["incident_key"] for i in await _snapshot(client)]
        assert streamed == listed
        for compound in ("c001", "c-north"):
            site = await client.get(f"/api/siteplan/{compound}")
            assert site.status_code == (200 if compound in plans else 404), compound
        floor = await client.get("/api/plan/c001/b1?floor=3&alarm=c001-b1-f3-u2-smk")
        assert floor.status_code == (200 if "c001" in plans else 404)


async def test_another_station_can_neither_see_nor_act(rig: ConsoleRig) -> None:
    inc = rig.backend.open_incidents()[0]
    async with rig.signed_in("stw-m1") as (client, csrf):
        res = await client.post(
            "/api/action",
            json={"incident_key": inc.incident_key, "action": "acknowledge"},
            headers={"X-CSRF-Token": csrf},
        )
        assert res.status_code == 404  # the same answer as for a key that does not exist
    assert inc.acknowledged_at is None
