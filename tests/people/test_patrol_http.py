"""Patrol check-in from a phone: scan -> sign in -> check in, with a finding (a hazard with
photos) when there is one. Only the round's patrollers, only with the page's own form token."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from events.reports import HazardReport, PatrolCheckIn, ReportSource

from .community_rig import PASSWORD, running_site
from .images import phone_jpeg

CHECKPOINT = "/p/c001-exits-b1-exit"


async def _sign_in(
    http: httpx.AsyncClient, member_id: str, password: str = PASSWORD
) -> httpx.Response:
    return await http.post(
        "/login", data={"member_id": member_id, "password": password, "next": CHECKPOINT}
    )


def _token(html: str) -> str:
    match = re.search(r'name="form_token" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


async def test_scan_sign_in_and_check_in_with_a_finding(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        first = await http.get(CHECKPOINT)
        assert 'action="/login"' in first.text
        assert (await _sign_in(http, "gw-1", "wrong")).status_code == 401
        signed = await _sign_in(http, "gw-1")
        assert signed.status_code == 303
        assert signed.headers["Location"] == CHECKPOINT
        assert "HttpOnly" in signed.headers["Set-Cookie"]
        page = await http.get(CHECKPOINT)
        assert "1号楼 安全出口与疏散楼梯" in page.text
        token = _token(page.text)
        ok = await http.post(CHECKPOINT, data={"form_token": token, "result": "ok"})
        assert ok.status_code == 201, ok.text
        assert "打卡成功" in ok.text
        found = await http.post(
            CHECKPOINT,
            data={
                "form_token": token,
                "result": "found",
                "category": "blocked_route",
                "description": "杂物堵塞楼梯",
            },
            files={"photo": ("p.jpg", phone_jpeg(), "image/jpeg")},
        )
        assert found.status_code == 201, found.text
        checked, finding, checked_again = site.sink.sent
        assert isinstance(checked, PatrolCheckIn)
        assert checked.is_ok
        assert checked.member_id == "gw-1"
        assert checked.received_via == "patrol-web 127.0.0.1"
        assert isinstance(finding, HazardReport)
        assert finding.source is ReportSource.PATROL
        assert finding.reporter_id == "gw-1"
        assert finding.round_id == "c001-exits"
        assert (finding.place.building_id, finding.place.floor) == ("b1", 1)
        assert isinstance(checked_again, PatrolCheckIn)
        assert checked_again.finding_report_id == finding.report_id
        assert not checked_again.is_ok


async def test_a_finding_needs_a_kind_and_a_photo(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        await _sign_in(http, "gw-1")
        token = _token((await http.get(CHECKPOINT + "?lang=en")).text)
        refused = await http.post(CHECKPOINT, data={"form_token": token, "result": "found"})
        assert refused.status_code == 422
        assert "Please choose the kind of hazard." in refused.text
        assert "Please add at least one photo." in refused.text
        assert site.sink.sent == []


async def test_only_the_rounds_patrollers_and_only_with_the_form_token(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        assert (await _sign_in(http, "so-1")).status_code == 401  # not a patroller at all
        await _sign_in(http, "stw-m1")  # patrols the north compound, not this one
        assert (await http.get(CHECKPOINT)).status_code == 403
        async with httpx.AsyncClient(base_url=site.url) as other:
            await _sign_in(other, "gw-1")
            forged = await other.post(CHECKPOINT, data={"form_token": "0" * 64, "result": "ok"})
            assert forged.status_code == 403
        assert (await http.get("/p/no-such-point")).status_code == 404
        assert site.sink.sent == []


async def test_sign_in_failures_are_throttled_per_address(tmp_path: Path) -> None:
    async with (
        running_site(tmp_path, sign_in_failures=2) as site,
        httpx.AsyncClient(base_url=site.url) as http,
    ):
        codes = [(await _sign_in(http, "gw-1", "wrong")).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        assert (await _sign_in(http, "gw-1")).status_code == 429  # even the right one, for now
        site.clock.advance(301)
        assert (await _sign_in(http, "gw-1")).status_code == 303


async def test_a_signed_in_member_uploads_an_evidence_photo(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        photo = {"photo": ("fixed.jpg", phone_jpeg(), "image/jpeg")}
        assert (await http.post("/staff/photos", files=photo)).status_code == 401
        await _sign_in(http, "gw-1")
        token = _token((await http.get(CHECKPOINT)).text)
        assert (await http.post("/staff/photos", files=photo)).status_code == 403
        sent = await http.post("/staff/photos", files=photo, headers={"X-Form-Token": token})
        assert sent.status_code == 201
        assert site.photos.has(sent.json()["photo_id"])
        bad = {"photo": ("x.jpg", b"plain text", "image/jpeg")}
        refused = await http.post(
            "/staff/photos?lang=en", files=bad, headers={"X-Form-Token": token}
        )
        assert refused.status_code == 422
        assert refused.json()["error"] == "photo_not_image"
        assert refused.json()["message"].startswith("The file is not a picture")
