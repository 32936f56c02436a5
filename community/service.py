"""The public side as one process: the web pages, the report producer, the status follower."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from community.clock import Clock, SystemClock
from community.config import CommunityConfig
from community.follow import FollowStore
from community.intake import Intake
from community.kafka import KafkaReportSink, StatusFollower
from community.patrol_routes import random_secret
from community.photos import PhotoStore
from community.places import PlaceDirectory
from community.server import CommunitySite
from community.staff import SessionSigner, StaffDirectory
from events.connections import KafkaConnection

log = logging.getLogger(__name__)


class CommunityService:
    def __init__(
        self,
        config: CommunityConfig,
        kafka: KafkaConnection,
        places: PlaceDirectory,
        staff: StaffDirectory,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.follow = FollowStore(config.database_path)
        self.photos = PhotoStore(config.photo_dir)
        self.sink = KafkaReportSink(kafka, config.kafka_producer_id)
        self.intake = Intake(config, places, self.photos, self.sink, self.follow, self.clock)
        secret = config.session_secret
        key = secret.get_secret_value().encode() if secret else random_secret()
        signer = SessionSigner(key, config.session_ttl_s, self.clock)
        self.site = CommunitySite(config, places, self.intake, self.follow, staff, signer)
        self.follower = StatusFollower(kafka, config.status_group, self.follow)
        self._runner: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None
        self.url = ""

    async def start(self) -> None:
        await self.sink.start()
        self._runner = web.AppRunner(self.site.app)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.config.host}:{port}"
        await self.follower.start()
        self._task = asyncio.create_task(self.follower.run())
        log.info("community pages at %s (public address %s)", self.url, self.config.public_url)

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Until the status follower has its partitions (Tansu holds group joins a while)."""
        async with asyncio.timeout(timeout_s):
            while not self.follower.is_ready():  # noqa: ASYNC110 - aiokafka has no assigned event
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.follower.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.sink.stop()
        self.follow.close()
