"""The duty console in a real headless Chromium (Debian's package, driven by Playwright):
sign in, see a new incident appear live, acknowledge it, find it in the ledger. Plus scope:
another station neither sees nor acts on it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from events.topics import Topics
from tests.polling import wait_for
from tests.unit.alerts.rig import make_alert

from .conftest import Stack

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
HAS_CHROMIUM = Path(CHROMIUM).exists()
PASSWORD = "firewatch-demo"  # the example registry's demo password
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
    if not HAS_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def _on_duty_member(stack: Stack, station: str) -> str:
    shift = stack.service.registry.station(station).shift_at(datetime.now(UTC))
    assert shift is not None
    return shift.members[0]


async def test_sign_in_see_incident_live_and_acknowledge(
    stack: Stack, browser: Any, tmp_path: Path
) -> None:
    member = _on_duty_member(stack, "st-east")
    page = await browser.new_page(viewport={"width": 1200, "height": 760})
    await page.goto(stack.service.console_url)
    await page.fill("#member", member)
    await page.fill("#password", PASSWORD)
    await page.click("#signin-button")
    await page.wait_for_selector("#live.on", timeout=10_000)
    assert member in await page.inner_text("#who-name")
    # A fire in building 1: the card must appear without a reload (server-sent events).
    await stack.send(Topics.ALERTS, make_alert(at=datetime.now(UTC)), "c001")
    card = page.locator("li.incident").first
    await card.wait_for(timeout=10_000)
    assert "fire" in await card.inner_text()
    assert await page.locator("svg#plan rect.building.alarm").get_attribute("data-building") == "b1"
    assert "acknowledge:" in await card.locator("[data-sla]").inner_text()
    await card.locator("button[data-action=acknowledge]").click()
    await page.wait_for_selector("li.incident .state.acknowledged", timeout=10_000)
    shot = tmp_path / "console.png"
    await page.screenshot(path=str(shot))
    shutil.copy(shot, Path("/tmp/firewatch-console.png"))  # for a person to look at
    inc = stack.service.ledger.open_incidents()[0]
    assert inc.acknowledged_at is not None
    acks = [r for r in stack.service.ledger.transitions(inc.incident_key) if r[0] == "acknowledge"]
    assert len(acks) == 1
    assert acks[0][3] == member
    assert acks[0][5].startswith("console 127.0.0.1")


async def test_other_station_cannot_see_or_act(stack: Stack) -> None:
    await stack.send(Topics.ALERTS, make_alert(at=datetime.now(UTC)), "c001")
    await wait_for(stack.service.open_incidents)
    key = stack.service.open_incidents()[0].incident_key
    url = stack.service.console_url
    async with httpx.AsyncClient(base_url=url) as west, httpx.AsyncClient(base_url=url) as street:
        bad = await west.post("/api/login", json={"member_id": "stw-m1", "password": "wrong"})
        assert bad.status_code == 401
        ok = await west.post("/api/login", json={"member_id": "stw-m1", "password": PASSWORD})
        assert ok.status_code == 200
        assert (await west.get("/api/incidents")).json() == []
        denied = await west.post("/api/action", json={"incident_key": key, "action": "mute"})
        assert denied.status_code == 403
        await street.post("/api/login", json={"member_id": "so-1", "password": PASSWORD})
        seen = (await street.get("/api/incidents")).json()
        assert [i["incident_key"] for i in seen] == [key]
    assert (await httpx.AsyncClient(base_url=url).get("/api/incidents")).status_code == 401
