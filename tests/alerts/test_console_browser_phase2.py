"""The console's phase 2 in a real headless Chromium (issue 11.5, 11.6, 11.8, 11.10, 18.4):
one fire is one card with its tasks and sources, its story lists the pages with channel and
outcome, a chief assigns and the assignee goes on scene from a phone, the 台账 export
downloads a valid .xlsx holding the ledger rows, work orders and hazards have their own
views, and markup in hazard and work-order fields stays text. Screenshots under
test-artifacts/console/<test>/ for a person to look at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from alerts.console.config import ConsoleConfig
from alerts.hazards.lifecycle import Command
from alerts.hazards.model import Hazard, HazardChange
from alerts.hazards.store import HazardStore
from alerts.ledger import Database
from alerts.ledger.queries import incidents, transitions
from alerts.lifecycle import Action, ActionRequest, Outcome
from events.alerts import AlertKind
from events.hazards import HazardAction, HazardState
from events.reports import HazardCategory
from runtime.clock import SystemClock
from tests.alerts.console_rig import ConsoleRig, serve_console
from tests.alerts.test_console_hazards import serve_desk
from tests.people.rig import report
from tests.polling import wait_for

from .test_console_browser import (
    DESKTOP,
    MARKUP,
    PHONE,
    SCRIPT,
    alert,
    assert_clean,
    no_sideways_scroll,
    rig,
    shots,
    sign_in,
)

pytestmark = pytest.mark.integration
__all__ = ["rig", "shots"]  # fixtures, used by name

SMOKE_1 = "c001-b1-f3-u2-smk"
SMOKE_2 = "c001-b1-f5-cor-smk"


def _hazard(db_url: str, title: str, description: str = "", hazard_id: str = "hz-1") -> None:
    now = datetime.now(UTC)
    hazard = Hazard(
        hazard_id=hazard_id,
        category=HazardCategory.BLOCKED_ROUTE,
        compound_id="c001",
        found_at=now,
        title=title,
        description=description,
        building_id="b1",
        floor=1,
        state=HazardState.ASSIGNED,
        assignee="gw-1",
        deadline_at=now + timedelta(days=1),
        seq=1,
    )
    change = HazardChange(hazard_id, 1, HazardAction.REPORT, None, HazardState.FOUND, "r", now, "t")
    HazardStore(Database(db_url)).save(hazard, change)


async def _confirmed_fire(rig: ConsoleRig) -> str:
    """Two detectors of building 1: one incident, confirmed (GB 50116 §4.1.6), exits released."""
    first = await rig.raise_alert(alert(AlertKind.FIRE, SMOKE_1, "b1"))
    second = await rig.raise_alert(alert(AlertKind.FIRE, SMOKE_2, "b1"))
    assert first.incident_key == second.incident_key
    return first.incident_key


async def test_one_fire_one_card_with_its_tasks_sources_and_story(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    _hazard(rig.db_url, "1号楼 1层 安全出口堆放杂物")
    key = await _confirmed_fire(rig)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await sign_in(browser, rig.url, "ste-m1", viewport)
        await page.wait_for_selector("li.card")
        cards = page.locator("li.card")
        assert await cards.count() == 1
        card = cards.first
        assert await card.get_attribute("data-key") == key
        assert await card.locator("[data-sources]").get_attribute("data-sources") == "2"
        assert "已确认" in await card.locator("[data-sources]").inner_text()
        tasks = card.locator("[data-tasks] li")
        assert await tasks.count() >= 1
        words = await card.locator("[data-tasks]").inner_text()
        assert "释放疏散门锁" in words
        assert any(s in words for s in ("已下发", "待执行", "已确认", "失败"))
        assert "安全出口堆放杂物" in await card.locator("[data-hazards]").inner_text()
        await card.locator("details summary").click()
        await page.wait_for_selector("[data-story] li[data-type=page]")
        story = await card.locator("[data-story]").inner_text()
        for words in ("短信", "值守台", "已送达", "转报 119"):  # channels, outcome, the forward
            assert words in story
        assert "派往负责本小区的最近站点" in await card.locator(".reason").inner_text()
        assert await no_sideways_scroll(page), name
        await page.screenshot(path=str(shots / f"{name}-card-story.png"), full_page=True)
        await assert_clean(page)
        await page.context.close()


async def test_assign_then_on_scene_from_a_phone(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    key = await _confirmed_fire(rig)
    chief = await sign_in(browser, rig.url, "ste-chief", PHONE)
    card = chief.locator("li.card").first
    await card.locator("button[data-action=assign]").click()
    await chief.wait_for_selector("select[data-assignee] option[value='ste-m2']", state="attached")
    await chief.select_option("select[data-assignee]", "ste-m2")
    assert await no_sideways_scroll(chief)
    await chief.screenshot(path=str(shots / "phone-assign.png"), full_page=True)
    await chief.click("button[data-confirm=assign]")
    await chief.wait_for_selector("li.card [data-assignee='ste-m2']")
    await assert_clean(chief)
    phone = await sign_in(browser, rig.url, "ste-m2", PHONE)
    mine = phone.locator("li.card").first
    await phone.wait_for_selector("li.card .assignee.mine")
    assert "派给我的" in await mine.locator(".assignee").inner_text()
    await phone.screenshot(path=str(shots / "phone-assigned-to-me.png"))
    await mine.locator("button[data-action=on_scene]").click()
    await phone.wait_for_selector("li.card .state.on_scene")
    assert await no_sideways_scroll(phone)
    await phone.screenshot(path=str(shots / "phone-on-scene.png"), full_page=True)
    await assert_clean(phone)
    rows = await wait_for(
        lambda: [t for t in transitions(Database(rig.db_url), key) if t[0] == "on_scene"],
        what="on scene recorded",
    )
    assert rows[0][3] == "ste-m2"
    assigned = [t for t in transitions(Database(rig.db_url), key) if t[0] == "assign"]
    assert [(t[3], t[6]) for t in assigned] == [("ste-chief", "ste-m2")]


async def test_history_export_downloads_the_ledger_as_xlsx(
    rig: ConsoleRig, browser: Any, shots: Path, tmp_path: Path
) -> None:
    key = await _confirmed_fire(rig)
    for action, outcome in (
        (Action.ACKNOWLEDGE, None),
        (Action.ON_SCENE, None),
        (Action.RESOLVE, Outcome.REAL_FIRE),
    ):
        await rig.backend.act(ActionRequest(key, action, "ste-m1", "test", outcome))
    page = await sign_in(browser, rig.url, "ste-m1", PHONE)
    await page.click("button[data-tab=history]")
    await page.wait_for_selector(f"#history li[data-key='{key}']")
    assert "1号楼" in await page.inner_text("#history")
    row = page.locator(f"#history li[data-key='{key}']")
    await row.locator("details summary").click()  # the closed incident's story, for inspection
    await row.locator("[data-story] li[data-type=action]").first.wait_for()
    assert "结案" in await row.locator("[data-story]").inner_text()
    assert await no_sideways_scroll(page)
    await page.screenshot(path=str(shots / "phone-history.png"), full_page=True)
    async with page.expect_download() as waiting:
        await page.click("#export-xlsx")
    download = await waiting.value
    saved = tmp_path / "ledger.xlsx"
    await download.save_as(str(saved))
    book = load_workbook(saved)
    assert book.sheetnames == ["警情台账", "维保工单", "隐患", "巡查"]
    rows = list(book["警情台账"].iter_rows(values_only=True))
    stored = incidents(Database(rig.db_url), "1 = 1", [])
    assert [r[-1] for r in rows[1:]] == [i.incident_key for i in stored] == [key]
    line = dict(zip(rows[0], rows[1], strict=True))
    assert (line["位置"], line["处置结果"], line["处置人"]) == (
        "1号楼 3层 2单元 卧室 烟感",
        "真实火警",
        "张伟 (ste-m1)",
    )
    await page.click("#lang")  # English: the same view, every word from the catalogue
    await page.wait_for_selector("#history-pane h2 >> text=History")
    assert await no_sideways_scroll(page)
    await page.screenshot(path=str(shots / "phone-history-en.png"), full_page=True)
    await assert_clean(page)


async def test_markup_in_hazard_and_work_order_fields_stays_text(
    rig: ConsoleRig, browser: Any, shots: Path
) -> None:
    _hazard(rig.db_url, MARKUP, SCRIPT)
    battery = alert(AlertKind.LOW_BATTERY, "c001-b2-f5-cor-smk", "b2")
    assert await rig.report(battery.model_copy(update={"summary": SCRIPT + MARKUP})) is None
    await rig.raise_alert(alert(AlertKind.FIRE, SMOKE_1, "b1"))
    page = await sign_in(browser, rig.url, "ste-m1", PHONE)
    await page.wait_for_selector("li.card [data-hazards]")
    assert MARKUP in await page.inner_text("li.card [data-hazards]")
    for tab, pane in (("work_orders", "#work-orders li"), ("hazards", "#hazards li")):
        await page.click(f"button[data-tab={tab}]")
        await page.wait_for_selector(pane)
        text = await page.inner_text(pane)
        assert MARKUP in text or SCRIPT in text
        assert await page.evaluate("document.querySelectorAll('[data-injected]').length") == 0
        assert await no_sideways_scroll(page), tab
        await page.screenshot(path=str(shots / f"phone-{tab}.png"), full_page=True)
    await page.click("button[data-tab=work_orders]")
    await page.click("button[data-work=acknowledge]")  # taken, and recorded as who took it
    await page.wait_for_selector("#work-orders li .where >> text=ste-m1")
    [order] = rig.backend.core.work_orders()
    assert order.acknowledged_by == "ste-m1"
    # A new fire while the member looks at maintenance: the alarm list comes back.
    await rig.raise_alert(alert(AlertKind.FIRE, "c001-b2-f3-u1-smk", "b2"))
    await page.wait_for_selector("button[data-tab=incidents][aria-current=page]")
    assert await page.locator("li.card").count() == 2
    await assert_clean(page)


async def test_a_hazard_is_triaged_assigned_and_reinspected_from_the_console(
    tmp_path: Path, browser: Any, shots: Path
) -> None:
    clock = SystemClock()
    async with serve_desk(tmp_path, clock) as desk:
        config = ConsoleConfig(hazard_desk_url=desk.url, settle_ms=0)
        async with serve_console(f"sqlite:///{tmp_path}/ledger.db", clock, config=config) as rig:
            [opened] = desk.desk.take(report(at=datetime.now(UTC)))
            hid = opened.hazard_id
            page = await sign_in(browser, rig.url, "so-1", PHONE)
            await page.click("button[data-tab=hazards]")
            item = page.locator(f"li[data-hazard='{hid}']")
            await item.click()
            await item.locator("button[data-step=triage]").click()
            await item.locator("select[name=severity]").select_option("major")
            await item.locator("select[name=owner_kind]").select_option("property_company")
            await item.locator("input[name=owner_name]").fill("示例物业")
            await item.locator("button[data-confirm=triage]").click()
            await page.wait_for_selector(f"li[data-hazard='{hid}'] >> text=已研判")
            await item.locator("button[data-step=assign]").click()
            await item.locator("input[name=assignee]").fill("物业值班")
            await item.locator("input[name=deadline]").fill("2099-01-31")
            await item.locator("button[data-confirm=assign]").click()
            await page.wait_for_selector(f"li[data-hazard='{hid}'] >> text=整改中")
            rectify = Command(HazardAction.RECTIFY, None, None, None, None, None, (desk.photo_id,))
            desk.desk.act(hid, rectify, "gw-1", "community 127.0.0.1")  # from the field page
            await page.reload()
            await page.click("button[data-tab=hazards]")
            await item.click()
            photo = item.locator(f"img[src='/api/hazard-photo/{desk.photo_id}']")
            await photo.wait_for()
            assert await photo.evaluate("img => img.complete && img.naturalWidth") == 32
            await page.screenshot(path=str(shots / "phone-hazard-rectified.png"), full_page=True)
            await item.locator("button[data-step=reinspect]").click()
            await item.locator("button[data-confirm=reinspect]").click()
            await page.wait_for_selector(f"li[data-hazard='{hid}'] >> text=已复查")
            await item.locator("button[data-step=close]").click()
            await item.locator("button[data-confirm=close]").click()
            await item.wait_for(state="detached")  # closed (销号): off the list
            assert await no_sideways_scroll(page)
            await assert_clean(page)
            changes = [(c.action.value, c.actor) for c in desk.desk.store.changes(hid)]
            assert changes[1:] == [
                ("triage", "so-1"),
                ("assign", "so-1"),
                ("rectify", "gw-1"),
                ("reinspect", "so-1"),
                ("close", "so-1"),
            ]
