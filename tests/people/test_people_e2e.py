"""End to end in a real browser: a resident reports a hazard with a photo on the building's
page (Chromium, Debian's package, driven by Playwright) -> Kafka (Tansu) -> the hazard desk ->
triaged, assigned, rectified with a photo, re-inspected and closed through the desk's API ->
the resident's follow link shows "closed" (已办结)."""

from __future__ import annotations

import io
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from alerts.hazards.config import HazardsConfig
from alerts.hazards.service import HazardService
from alerts.registry import EXAMPLE_DIR, load_registry
from community.config import CommunityConfig
from community.service import CommunityService
from events.connections import KafkaConnection, KafkaFlavour
from events.hazards import HazardState
from events.reports import photo_relpath
from firewatch.embedded.tansu import TansuBroker
from firewatch.people import load_people
from tests.polling import wait_for

from .community_rig import PASSWORD
from .images import phone_jpeg

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def people(
    kafka: TansuBroker, tmp_path: Path
) -> AsyncIterator[tuple[CommunityService, HazardService]]:
    connection = KafkaConnection(
        bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    photos = tmp_path / "photos"
    desk = HazardService(
        HazardsConfig(
            registry_dir=EXAMPLE_DIR,
            photo_dir=photos,
            port=0,
            database_url=f"sqlite:///{tmp_path}/ledger.db",
            consumer_group=f"hazards-{tmp_path.name}",
        ),
        connection,
    )
    port = _free_port()
    places, staff = load_people(EXAMPLE_DIR, load_registry(EXAMPLE_DIR))
    site = CommunityService(
        CommunityConfig(
            port=port,
            public_url=f"http://127.0.0.1:{port}",
            photo_dir=photos,
            database_path=tmp_path / "community.db",
            status_group=f"community-{tmp_path.name}",
        ),
        connection,
        places,
        staff,
    )
    await desk.start()
    await site.start()
    try:
        await desk.wait_ready()
        await site.wait_ready()
        yield site, desk
    finally:
        await site.stop()
        await desk.stop()


async def _desk_login(http: httpx.AsyncClient, member_id: str) -> dict[str, str]:
    signed = await http.post(
        "/api/hazards/login", json={"member_id": member_id, "password": PASSWORD}
    )
    assert signed.status_code == 200, signed.text
    return {"X-CSRF-Token": signed.json()["csrf_token"]}


async def _evidence_photo(site_url: str) -> str:
    """The grid worker's photo of the rectified stairwell, through the public side."""
    async with httpx.AsyncClient(base_url=site_url) as http:
        await http.post(
            "/login",
            data={"member_id": "gw-1", "password": PASSWORD, "next": "/p/c001-exits-b1-exit"},
        )
        page = await http.get("/p/c001-exits-b1-exit")
        token = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text)
        assert token is not None
        sent = await http.post(
            "/staff/photos",
            headers={"X-Form-Token": token.group(1)},
            files={"photo": ("fixed.jpg", phone_jpeg(80, 60, 1), "image/jpeg")},
        )
        assert sent.status_code == 201, sent.text
        return str(sent.json()["photo_id"])


async def _step(http: httpx.AsyncClient, member: str, hazard_id: str, body: dict[str, Any]) -> str:
    headers = await _desk_login(http, member)
    done = await http.post(f"/api/hazards/{hazard_id}/actions", json=body, headers=headers)
    assert done.status_code == 200, done.text
    return str(done.json()["state"])


async def test_a_resident_report_travels_to_closure(
    people: tuple[CommunityService, HazardService], browser: Any, tmp_path: Path
) -> None:
    site, desk = people
    photo = tmp_path / "stairwell.jpg"
    photo.write_bytes(phone_jpeg(120, 80, 6))
    page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    await page.goto(f"{site.url}/r/c001/b1")
    assert await page.get_attribute("html", "lang") == "zh-CN"
    await page.check("input[name=category][value=ebike_indoors]")
    await page.select_option("#floor", "3")
    await page.fill("#unit", "2单元")
    await page.fill("#description", "两辆电动车在楼梯间充电")
    await page.set_input_files("#photo", str(photo))
    await page.click("button[type=submit]")
    link = page.locator("#follow-link")
    await link.wait_for(timeout=15_000)
    follow_url = await link.get_attribute("href")
    assert follow_url is not None
    assert follow_url.startswith(f"{site.url}/f/")

    found = await wait_for(desk.desk.store.hazards, 20, what="the desk took the report")
    hazard = found[0]
    assert (hazard.building_id, hazard.floor, hazard.unit) == ("b1", 3, "2单元")
    stored = (site.photos.root / photo_relpath(hazard.photo_ids[0])).read_bytes()
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}  # the GPS fix is gone

    evidence = await _evidence_photo(site.url)
    async with httpx.AsyncClient(base_url=desk.url) as http:
        owner = {"kind": "property_company", "name": "示例物业"}
        states = [
            await _step(
                http,
                "so-1",
                hazard.hazard_id,
                {"action": "triage", "severity": "major", "owner": owner},
            ),
            await _step(
                http, "so-1", hazard.hazard_id, {"action": "assign", "assignee": "物业值班"}
            ),
            await _step(
                http,
                "gw-1",
                hazard.hazard_id,
                {"action": "rectify", "photo_ids": [evidence], "note": "车已移走"},
            ),
            await _step(
                http, "ste-m1", hazard.hazard_id, {"action": "reinspect", "note": "楼梯畅通"}
            ),
            await _step(http, "so-1", hazard.hazard_id, {"action": "close"}),
        ]
    assert states == ["triaged", "assigned", "rectified", "reinspected", "closed"]
    changes = desk.desk.store.changes(hazard.hazard_id)
    assert [c.actor for c in changes] == ["resident", "so-1", "so-1", "gw-1", "ste-m1", "so-1"]
    assert all(c.source.startswith("hazard-api 127.0.0.1") for c in changes[1:])
    closed = desk.desk.store.hazard(hazard.hazard_id)
    assert closed is not None
    assert closed.state is HazardState.CLOSED

    async def shows_closed() -> bool:
        await page.goto(follow_url)
        state = await page.get_attribute("#status", "data-state")
        return bool(state == "closed")

    await wait_for(shows_closed, 20, what="the follow link shows closed", every_s=0.3)
    assert "已办结" in await page.inner_text("#status")
    shot = tmp_path / "follow.png"
    await page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, Path("/tmp/firewatch-people-follow.png"))  # for a person to look at
