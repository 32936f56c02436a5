"""The duty console in a real headless Chromium (Debian's package, driven by Playwright), the
way a night-shift station member meets it: in Chinese, during a fire, on a desk and on a
phone. Screenshots are kept under test-artifacts/console/ for a person to look at.

Most tests drive the console over the real dispatcher and SQLite ledger (console_rig); the
first one runs the whole dispatch service on real Tansu and Mosquitto.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from alerts.console.config import ConsoleConfig
from alerts.lifecycle import Incident
from alerts.registry import EXAMPLE_DIR, load_registry
from events.alerts import Alert, AlertKind
from events.topics import Topics
from runtime.clock import SystemClock
from tests.alerts.console_rig import PASSWORD, ConsoleRig, on_duty, serve_console
from tests.alerts.rig import make_alert
from tests.polling import wait_for

from .conftest import Stack

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
# Recorded before any page script runs (not subject to the page's CSP): what the CSP refused,
# and a trap that injected markup would spring.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective));
"""


@pytest.fixture
def shots(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """Where a test puts its screenshots; copied to test-artifacts/console/<test>/ after."""
    folder = tmp_path / "shots"
    folder.mkdir()
    yield folder
    target = ARTIFACTS / request.node.name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(folder, target)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[ConsoleRig]:
    config = ConsoleConfig(undo_window_s=1.5, settle_ms=300)
    async with serve_console(f"sqlite:///{tmp_path}/ledger.db", SystemClock(), config=config) as r:
        yield r


def alert(kind: AlertKind, device: str, building: str | None) -> Alert:
    base = make_alert(kind, device, at=datetime.now(UTC))
    key = base.condition_key.replace("/b1/", f"/{building or '-'}/", 1)
    return base.model_copy(update={"condition_key": key, "building_id": building})


async def sign_in(browser: Any, url: str, member: str, viewport: dict[str, int]) -> Any:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.add_init_script(WATCH)
    await page.goto(url)
    await page.fill("#member", member)
    await page.fill("#password", PASSWORD)
    await page.click("#signin-button")
    await page.wait_for_selector("#live.on", timeout=10_000)
    return page


async def no_sideways_scroll(page: Any) -> bool:
    return bool(
        await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
            " && document.body.scrollWidth <= window.innerWidth"
        )
    )


async def assert_clean(page: Any) -> None:
    """No CSP refusal (the page needs no inline script or style) and no injected markup ran."""
    assert await page.evaluate("window.__csp") == []
    assert await page.evaluate("window.__xss") is None


async def test_sign_in_see_incident_live_and_acknowledge(
    stack: Stack, browser: Any, shots: Path
) -> None:
    """The whole dispatch service on real brokers: the card appears live, acknowledge is a
    recorded transition by the signed-in member from the console's address."""
    member = on_duty(stack.service.registry, "st-east", datetime.now(UTC))
    page = await sign_in(browser, stack.service.console_url, member, DESKTOP)
    assert member in await page.inner_text("#who-name")
    await stack.send(
        Topics.ALERTS, make_alert(device="c001-b1-f3-u2-smk", at=datetime.now(UTC)), "c001"
    )
    card = page.locator("li.card").first
    await card.wait_for(timeout=10_000)
    assert "1号楼 3层 2单元 卧室 烟感" in await card.locator("[data-place]").inner_text()
    assert await page.locator("svg#plan rect.building.alarm").get_attribute("data-building") == "b1"
    await card.locator("button[data-action=acknowledge]").click()
    await page.wait_for_selector("li.card .state.acknowledged", timeout=10_000)
    await page.screenshot(path=str(shots / "live-acknowledged.png"))
    # The card moves on the console event; the ledger row follows in the shell's worker thread.
    ledger, key = stack.service.ledger, stack.service.open_incidents()[0].incident_key
    acks = await wait_for(
        lambda: [r for r in ledger.transitions(key) if r[0] == "acknowledge"],
        what="the acknowledgement recorded",
    )
    stored = ledger.incident(key)
    assert stored is not None
    assert stored.acknowledged_at is not None
    assert len(acks) == 1
    assert acks[0][3] == member
    assert acks[0][5].startswith("console 127.0.0.1")
    await assert_clean(page)


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
        denied = await west.post(
            "/api/action",
            json={"incident_key": key, "action": "mute"},
            headers={"X-CSRF-Token": ok.json()["csrf"]},
        )
        assert denied.status_code == 404
        await street.post("/api/login", json={"member_id": "so-1", "password": PASSWORD})
        seen = (await street.get("/api/incidents")).json()
        assert [i["incident_key"] for i in seen] == [key]
    assert (await httpx.AsyncClient(base_url=url).get("/api/incidents")).status_code == 401


async def _fire_night(rig: ConsoleRig) -> dict[str, str]:
    """A fire and what comes with it in the example compound: keys by name. The low battery
    is a maintenance work order (维保), never a card on the duty list."""
    keys = {}
    for name, kind, device, building in (
        ("runaway", AlertKind.THERMAL_RUNAWAY, "c001-cs1-p03", None),
        ("door", AlertKind.DOOR_HELD_OPEN, "c001-b2-exit1", "b2"),
        ("battery", AlertKind.LOW_BATTERY, "c001-b2-f5-cor-smk", "b2"),
        ("pre_alarm", AlertKind.FIRE_PRE_ALARM, "c001-b2-f5-cor-smk", "b2"),
        ("fire", AlertKind.FIRE, "c001-b1-f3-u2-smk", "b1"),  # newest
    ):
        inc = await rig.report(alert(kind, device, building))
        if name == "battery":
            assert inc is None
            continue
        assert inc is not None
        keys[name] = inc.incident_key
    return keys


def _shanghai(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M:%S")


async def test_chinese_first_during_a_fire_on_desk_and_phone(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    keys = await _fire_night(rig)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await sign_in(browser, rig.url, "cr-1", viewport)  # the control room sees all
        await page.wait_for_function("() => document.querySelectorAll('li.card').length === 4")
        assert await page.evaluate("document.documentElement.lang") == "zh-CN"
        assert await page.title() in ("消防值守台",) or "警情" in await page.title()
        assert "当前警情" in await page.inner_text("#list-pane h2")
        cards = page.locator("li.card")
        # Unanswered P1s pinned on top, newest first: the fire, then the runaway.
        assert await cards.nth(0).get_attribute("data-key") == keys["fire"]
        assert await cards.nth(1).get_attribute("data-key") == keys["runaway"]
        first = cards.nth(0)
        assert "紧急 · 火警" in await first.locator(".badge").inner_text()
        assert await first.locator("[data-place]").inner_text() == "1号楼 3层 2单元 卧室 烟感"
        assert await cards.nth(1).locator("[data-place]").inner_text() == "1号充电棚 3号充电口"
        opened = rig.incident(keys["fire"])
        assert opened is not None
        assert await first.locator("time.opened").inner_text() == _shanghai(
            opened.opened_at.isoformat()
        )  # the compound's zone, 24 h clock
        sla = await first.locator(".sla .sla-time").first.inner_text()
        assert re.fullmatch(r"\d{2}:\d{2}", sla), sla  # mm:ss
        await page.wait_for_selector(
            "#floorplan circle.point.alarm[data-device='c001-b1-f3-u2-smk']"
        )
        assert await page.locator("#floorplan polyline.route").count() == 1
        assert await no_sideways_scroll(page), name
        # The pictures show the card as a duty member sees it once it settled: its buttons take
        # no tap for settle_ms after a card appears or moves (a tap meant for what was there).
        await page.wait_for_function(
            "() => [...document.querySelectorAll('li.card button.act')].every(b => !b.disabled)"
        )
        await page.screenshot(path=str(shots / f"{name}-fire.png"))
        await page.screenshot(path=str(shots / f"{name}-fire-full.png"), full_page=True)
        # The shed's runaway lights the shed on the site plan, never a building.
        await cards.nth(1).locator("[data-place]").click()
        await page.wait_for_selector("#plan rect.shed.alarm[data-shed='shed1']")
        assert await page.locator("#plan rect.building.alarm").count() == 0
        await page.wait_for_selector("#floorplan circle.point.alarm[data-device='c001-cs1-p03']")
        await page.screenshot(path=str(shots / f"{name}-shed.png"), full_page=True)
        await assert_clean(page)
        await page.context.close()


async def test_english_by_a_switch_remembered(rig: ConsoleRig, browser: Any, shots: Path) -> None:
    await _fire_night(rig)
    page = await sign_in(browser, rig.url, "cr-1", PHONE)
    await page.click("#lang")
    await page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "Open incidents" in await page.inner_text("#list-pane h2")
    await page.reload()
    await page.wait_for_selector("li.card")
    assert await page.evaluate("document.documentElement.lang") == "en"  # remembered
    first = page.locator("li.card").first
    assert (
        await first.locator("[data-place]").inner_text()
        == "Building 1, floor 3, unit 2, bedroom, smoke detector"
    )
    assert await no_sideways_scroll(page)
    await page.screenshot(path=str(shots / "phone-english.png"), full_page=True)
    await page.click("#lang")
    await page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    await assert_clean(page)


def _state(rig: ConsoleRig, key: str) -> str | None:
    inc = rig.incident(key)
    return inc.state.value if inc is not None else None


def _assessment(rig: ConsoleRig, key: str) -> str | None:
    inc = rig.incident(key)
    return inc.assessment if inc is not None else None


async def _east_on_phone(rig: ConsoleRig, browser: Any) -> tuple[str, Any]:
    """The east station's member on duty now, signed in on a phone: who, and the page."""
    member = on_duty(rig.backend.registry, "st-east", datetime.now(UTC))
    return member, await sign_in(browser, rig.url, member, PHONE)


async def _fire_on_phone(rig: ConsoleRig, browser: Any) -> tuple[str, Any, Incident, Any]:
    """A fire in building b1 on that member's phone: who, the page, the incident, its card."""
    member, page = await _east_on_phone(rig, browser)
    fire = await rig.raise_alert(alert(AlertKind.FIRE, "c001-b1-f3-u2-smk", "b1"))
    return member, page, fire, page.locator("li.card").first


async def test_tone_rings_for_a_new_p1_until_acknowledged(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    _member, page = await _east_on_phone(rig, browser)
    await page.context.grant_permissions(["notifications"], origin=rig.url)
    # The sign-in tap was the gesture the autoplay rule asks for: sound is on, nothing rings.
    await page.wait_for_function("() => document.documentElement.dataset.sound === 'on'")
    assert await page.evaluate("document.documentElement.dataset.alarm") == "silent"
    assert await page.evaluate("window.fwAlarm.tones") == 0
    fire = await rig.raise_alert(alert(AlertKind.FIRE, "c001-b1-f3-u2-smk", "b1"))
    await page.wait_for_function("() => document.documentElement.dataset.alarm === 'ringing'")
    await page.wait_for_function("() => window.fwAlarm.tones >= 2", timeout=10_000)  # it repeats
    await page.wait_for_function(
        "() => document.title.startsWith('【警情】火警')"
    )  # the title flashes
    assert await page.evaluate("window.fwAlarm.notified") == [fire.incident_key]
    await page.screenshot(path=str(shots / "phone-ringing.png"))
    await page.locator("li.card button[data-action=acknowledge]").click()
    await page.wait_for_function("() => document.documentElement.dataset.alarm === 'silent'")
    assert await page.evaluate("window.fwAlarm.ringing") is False
    assert await page.title() == "消防值守台"
    assert _state(rig, fire.incident_key) == "acknowledged"
    await assert_clean(page)


# The autoplay rule as a phone applies it: audio stays suspended until a tap on the page's
# switch. Stood in for because Playwright's own evaluations count as user activation, so
# headless Chromium never holds audio back in a test.
AUTOPLAY_RULE = """
const RealAudio = window.AudioContext;
let tapped = false;
document.addEventListener("click", (e) => { if (e.target.closest("#sound")) tapped = true; }, true);
window.AudioContext = class extends RealAudio {
  constructor(...args) { super(...args); if (!tapped) this.suspend(); }
  resume() { return tapped ? super.resume() : Promise.resolve(); }
};
"""


async def test_sound_switch_when_the_browser_holds_audio_back(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    """Opened again with a session but no tap yet: audio is locked until the switch is pressed."""
    _member, page = await _east_on_phone(rig, browser)
    fresh = await page.context.new_page()
    await fresh.add_init_script(WATCH + AUTOPLAY_RULE)
    await fresh.goto(rig.url)
    await fresh.wait_for_selector("#live.on")
    await fresh.wait_for_function("() => document.documentElement.dataset.sound === 'locked'")
    assert await fresh.inner_text("#sound") == "点此开启警报声"
    await fresh.screenshot(path=str(shots / "phone-sound-locked.png"))
    await fresh.click("#sound")
    await fresh.wait_for_function("() => document.documentElement.dataset.sound === 'on'")
    await assert_clean(fresh)


async def test_confirm_fire_needs_a_second_step_and_then_calls_119(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    _member, page, fire, card = await _fire_on_phone(rig, browser)
    await card.wait_for()
    for part in ("[data-place]", ".slas", ".where", ".card-head"):  # selecting presses nothing
        await card.locator(part).click()
    assert _state(rig, fire.incident_key) == "dispatched"
    await card.locator("button[data-action=confirm]").click()
    dialog = card.locator(".second-step")
    assert "无法撤销" in await dialog.inner_text()  # says plainly that 119 is called
    assert rig.forwarder.forwarded == []
    assert _state(rig, fire.incident_key) == "dispatched"
    await page.screenshot(path=str(shots / "phone-confirm-fire.png"))
    assert await no_sideways_scroll(page)
    await dialog.locator("button.cancel").click()  # cancel: back to the buttons, nothing sent
    await card.locator("button[data-action=confirm]").click()
    await card.locator("button[data-confirm=confirm]").click()  # waits until it is armed
    await wait_for(lambda: rig.forwarder.forwarded, what="the 119 forward")
    inc = rig.incident(fire.incident_key)
    assert inc is not None
    assert inc.assessment == "confirmed"
    await assert_clean(page)


async def test_false_alarm_can_be_undone_in_its_window(rig: ConsoleRig, browser: Any) -> None:
    _member, page, fire, card = await _fire_on_phone(rig, browser)
    await card.locator("button[data-action=deny]").click()
    await card.locator("button[data-confirm=deny]").click()
    await card.locator(".pending button.undo").click()  # within the 1.5 s window
    await card.locator("button[data-action=deny]").wait_for()
    assert _state(rig, fire.incident_key) == "dispatched"  # nothing was sent
    await card.locator("button[data-action=deny]").click()
    await card.locator("button[data-confirm=deny]").click()
    await wait_for(lambda: _assessment(rig, fire.incident_key) == "denied", what="false alarm")
    await card.locator(".state.assessed").wait_for()
    await assert_clean(page)


async def test_the_resolve_form_appears_only_when_resolving(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    member, page, fire, card = await _fire_on_phone(rig, browser)
    assert await card.locator("button[data-action=resolve]").count() == 0  # not yet applicable
    await card.locator("button[data-action=acknowledge]").click()
    await card.locator("button[data-action=resolve]").wait_for()
    assert await card.locator("form.resolve").count() == 0
    await card.locator("button[data-action=resolve]").click()
    form = card.locator("form.resolve")
    await form.locator("input[value=false_alarm]").check()
    submit = form.locator("button[data-confirm=resolve]")
    await submit.click()
    assert await form.locator(".error").inner_text() == "误报须写明原因"
    await form.locator(".chip").first.click()  # 烹饪油烟
    assert await no_sideways_scroll(page)
    await page.screenshot(path=str(shots / "phone-resolve-form.png"))
    await submit.click()
    await wait_for(lambda: rig.incident(fire.incident_key) is None, what="resolved")
    await card.wait_for(state="detached")
    rows = rig.backend.ledger.transitions(fire.incident_key)
    resolve = [r for r in rows if r[0] == "resolve"]
    assert resolve[0][3] == member
    assert "烹饪油烟" in resolve[0][6]
    await assert_clean(page)


# Markup that would run or make elements if any field reached the page as HTML.
MARKUP = '<img src=x onerror="window.__xss=1" data-injected><b data-injected>b</b>'
SCRIPT = '"><script data-injected>window.__xss=2</script><svg onload=window.__xss=3 data-injected>'


def _marked_registry(tmp_path: Path) -> Path:
    """The example registry with markup in every free-text field that reaches the page."""
    folder = tmp_path / "registry"
    folder.mkdir()
    for src in EXAMPLE_DIR.glob("*.yaml"):
        doc = yaml.safe_load(src.read_text(encoding="utf-8"))
        for compound in doc.get("compounds", []):
            compound.update(name=MARKUP, name_en=SCRIPT)
            for building in compound.get("buildings", []):
                building.update(name=MARKUP, name_en=SCRIPT)
                for door in building.get("exits", []):
                    door.update(name=SCRIPT, name_en=MARKUP)
            for item in compound.get("gates", []) + compound.get("charging_sheds", []):
                item.update(name=MARKUP, name_en=SCRIPT)
            for member in compound.get("duty", []):
                member["name"] = SCRIPT
        for station in doc.get("stations", []):
            station.update(name=MARKUP, name_en=SCRIPT)
            for member in station["members"]:
                member["name"] = SCRIPT
        (folder / src.name).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return folder


async def _no_markup_made_it(page: Any) -> None:
    assert await page.evaluate("document.querySelectorAll('[data-injected]').length") == 0
    assert await page.evaluate("document.querySelectorAll('script').length") == 1  # app.js
    await assert_clean(page)


async def test_markup_in_every_field_stays_text(tmp_path: Path, browser: Any, shots: Path) -> None:
    """Issue 12: an alert whose building_id held HTML was rendered unescaped."""
    registry = load_registry(_marked_registry(tmp_path))
    db_url = f"sqlite:///{tmp_path}/ledger.db"
    async with serve_console(db_url, SystemClock(), registry=registry) as rig:
        now = datetime.now(UTC)
        hostile = make_alert(device=MARKUP, at=now).model_copy(
            update={
                "building_id": SCRIPT,
                "summary": MARKUP + SCRIPT,
                "condition_key": f"c001/{SCRIPT}/fire/{MARKUP}",
            }
        )
        await rig.raise_alert(hostile)
        await rig.raise_alert(alert(AlertKind.THERMAL_RUNAWAY, "c001-cs1-p03", None))
        await rig.raise_alert(alert(AlertKind.DOOR_HELD_OPEN, "c001-b1-exit1", "b1"))
        page = await sign_in(browser, rig.url, "cr-1", DESKTOP)  # sees the whole compound
        await page.wait_for_function("() => document.querySelectorAll('li.card').length === 3")
        assert SCRIPT in await page.inner_text("#who-name")  # shown, as text
        for card in await page.locator("li.card").all():
            await card.locator("details summary").click()  # the dispatch reason and summary
            await card.locator("[data-place]").click()  # its plans
            await page.wait_for_selector("#plan")
            await _no_markup_made_it(page)
        assert MARKUP in await page.inner_text("#list-pane")
        assert await page.locator("#plan text", has_text="<img src=x").count() > 0
        await page.screenshot(path=str(shots / "markup-zh.png"), full_page=True)
        await page.click("#lang")  # the English names are another set of fields
        await page.wait_for_function("() => document.documentElement.lang === 'en'")
        for card in await page.locator("li.card").all():
            await card.locator("[data-place]").click()
            await page.wait_for_selector("#plan")
            await _no_markup_made_it(page)
        assert SCRIPT in await page.inner_text("#list-pane")
        await page.screenshot(path=str(shots / "markup-en.png"), full_page=True)
        await page.click("#lang")
