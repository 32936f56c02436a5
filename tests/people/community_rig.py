"""The public side on a real HTTP server (port 0), its reports recorded instead of sent to
Kafka (the browser test sends them through Tansu); a fake clock for rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from alerts.registry import EXAMPLE_DIR, load_registry
from community.config import CommunityConfig
from community.follow import FollowStore
from community.intake import Intake
from community.photos import PhotoStore
from community.server import CommunitySite
from community.staff import SessionSigner
from events.reports import HazardReport, PatrolCheckIn
from firewatch.people import load_people
from runtime.clock import ManualClock

from .rig import START

PASSWORD = "firewatch-demo"  # the example registry's demo password


@dataclass
class RecordingSink:
    sent: list[HazardReport | PatrolCheckIn] = field(default_factory=list)
    is_down: bool = False

    async def send(self, record: HazardReport | PatrolCheckIn) -> None:
        if self.is_down:
            raise ConnectionError("kafka unreachable")
        self.sent.append(record)


@dataclass
class Site:
    url: str
    sink: RecordingSink
    follow: FollowStore
    photos: PhotoStore
    clock: ManualClock
    config: CommunityConfig


@asynccontextmanager
async def running_site(tmp_path: Path, **overrides: Any) -> AsyncIterator[Site]:
    values: dict[str, Any] = {
        "port": 0,
        "photo_dir": tmp_path / "photos",
        "database_path": tmp_path / "community.db",
        "max_photo_mb": 1,
        "public_url": "http://fw.example",
    }
    values.update(overrides)
    config = CommunityConfig(**values)
    clock = ManualClock(START)
    registry = load_registry(EXAMPLE_DIR)
    places, staff = load_people(EXAMPLE_DIR, registry)
    sink, follow = RecordingSink(), FollowStore(config.database_path)
    photos = PhotoStore(config.photo_dir)
    intake = Intake(config, places, photos, sink, follow, clock)
    site = CommunitySite(
        config, places, intake, follow, staff, SessionSigner(b"k" * 32, 3600, clock)
    )
    runner = web.AppRunner(site.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield Site(f"http://127.0.0.1:{port}", sink, follow, photos, clock, config)
    finally:
        await runner.cleanup()
        follow.close()


def report_fields(**extra: str) -> dict[str, str]:
    return {
        "category": "ebike_indoors",
        "building": "b1",
        "floor": "3",
        "unit": "2单元",
        "description": "两辆电动车在楼道充电",
        **extra,
    }
