"""The resident's page and the follow link over real HTTP: zh-CN first with an English
switch, photos checked, every problem named, rate limits per address and per building, the
report recorded only once Kafka took it, strict security headers."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import httpx
from PIL import Image

from events.hazards import HazardAction, HazardState, HazardUpdate
from events.reports import HazardReport, ReportSource

from .community_rig import report_fields as fields
from .community_rig import running_site
from .images import TEXT_FILE, phone_jpeg

JPEG = ("photo.jpg", phone_jpeg(), "image/jpeg")


def _follow_path(html: str) -> str:
    match = re.search(r'id="follow-link" href="http://fw.example(/f/[^"]+)"', html)
    assert match, html
    return match.group(1)


async def test_the_qr_page_is_chinese_first_with_the_building_chosen(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        page = await http.get("/r/c001/b2")
        assert page.status_code == 200
        assert '<html lang="zh-CN">' in page.text
        assert "报告消防安全隐患" in page.text
        assert '<option value="b2" selected>' in page.text
        assert "飞线充电" in page.text
        english = await http.get("/r/c001/b2?lang=en")
        assert '<html lang="en">' in english.text
        assert "Report a fire-safety hazard" in english.text
        again = await http.get("/r/c001/b2")  # the switch is remembered (cookie)
        assert '<html lang="en">' in again.text
        assert (await http.get("/r/nowhere")).status_code == 404
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src" not in csp  # no script at all
        assert page.headers["Referrer-Policy"] == "no-referrer"


async def test_a_report_with_a_photo_is_sent_and_followed(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        sent = await http.post(
            "/r/c001/b1",
            data=fields(name="王女士", phone="13800000000", consent="yes"),
            files={"photo": JPEG},
        )
        assert sent.status_code == 201, sent.text
        (report,) = site.sink.sent
        assert isinstance(report, HazardReport)
        assert report.source is ReportSource.RESIDENT
        assert (report.place.building_id, report.place.floor, report.place.unit) == (
            "b1",
            3,
            "2单元",
        )
        assert report.contact is not None
        assert report.contact.phone == "13800000000"
        stored = site.photos.path(report.photos[0].photo_id).read_bytes()
        assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}
        follow = _follow_path(sent.text)
        assert len(follow) > 30  # 192 random bits
        page = await http.get(follow)
        assert 'data-state="submitted"' in page.text
        assert page.headers["Cache-Control"] == "no-store"
        closed = HazardUpdate(
            hazard_id="hz-1",
            seq=7,
            state=HazardState.CLOSED,
            category=report.category,
            compound_id="c001",
            title="t",
            report_ids=(report.report_id,),
            found_at=site.clock.now(),
            action=HazardAction.CLOSE,
            actor="so-1",
            at=site.clock.now() + timedelta(days=1),
            source="api",
        )
        assert site.follow.apply(closed) == 1
        assert site.follow.apply(closed.model_copy(update={"seq": 3})) == 0  # older: ignored
        page = await http.get(follow)
        assert 'data-state="closed"' in page.text
        assert "已办结" in page.text
        assert (await http.get("/f/not-a-token")).status_code == 404


async def test_bad_photos_and_fields_are_named_in_the_readers_language(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        big = ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (1024 * 1024 + 10), "image/jpeg")
        refused = await http.post("/r/c001/b1", data=fields(), files={"photo": big})
        assert refused.status_code == 422
        assert "照片太大：每张不能超过 1 MB。" in refused.text
        assert 'role="alert"' in refused.text
        assert 'aria-invalid="true"' in refused.text
        text = ("note.txt", TEXT_FILE, "image/jpeg")  # lies about its type
        refused = await http.post("/r/c001/b1?lang=en", data=fields(), files={"photo": text})
        assert "The file is not a picture: please upload a JPEG, PNG or WebP photo." in refused.text
        bad = fields(category="", floor="40", phone="12", building="b1")
        refused = await http.post("/r/c001/b1?lang=en", data=bad)
        for expected in (
            "Please choose the kind of hazard.",
            "That building has no such floor.",
            "The phone number is not valid.",
            "Please add at least one photo.",
        ):
            assert expected in refused.text
        assert "两辆电动车在楼道充电" in refused.text  # what was typed is kept
        no_consent = await http.post(
            "/r/c001/b1?lang=en", data=fields(phone="13800000000"), files={"photo": JPEG}
        )
        assert "tick the consent box" in no_consent.text
        assert site.sink.sent == []


async def test_reports_are_rate_limited_per_address_and_per_building(tmp_path: Path) -> None:
    async with (
        running_site(tmp_path, reports_per_address=3, reports_per_building=2) as site,
        httpx.AsyncClient(base_url=site.url) as http,
    ):
        codes = []
        for _ in range(3):
            sent = await http.post("/r/c001/b1", data=fields(), files={"photo": JPEG})
            codes.append(sent.status_code)
        assert codes == [201, 201, 429]  # the building's limit
        assert "分钟后再试" in sent.text
        other = await http.post("/r/c001", data=fields(building="b2"), files={"photo": JPEG})
        assert other.status_code == 429  # the address's limit: 3 submissions this hour
        site.clock.advance(3601)
        again = await http.post("/r/c001", data=fields(building="b2"), files={"photo": JPEG})
        assert again.status_code == 201
        assert len(site.sink.sent) == 3


async def test_nothing_is_confirmed_when_kafka_does_not_take_it(tmp_path: Path) -> None:
    async with running_site(tmp_path) as site, httpx.AsyncClient(base_url=site.url) as http:
        site.sink.is_down = True
        sent = await http.post("/r/c001/b1", data=fields(), files={"photo": JPEG})
        assert sent.status_code == 503
        assert "报告未能提交" in sent.text
        assert "/f/" not in sent.text
