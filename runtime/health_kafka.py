"""`kafka.reachable`: a readiness check that Kafka answers, by a metadata round trip every few
seconds from a small admin client of the process's own (its TLS and SASL settings).

Why a probe of its own: a Kafka cluster that freezes (a stopped broker process, a partitioned
network) leaves a consumer's assignment and a Faust worker's group membership as they were
(measured: a worker stayed "ready" for 2 min with Tansu stopped by SIGSTOP), so "group joined"
alone cannot see it. The probe runs on the service's event loop; the HTTP thread only reads its
flag (runtime.health). A probe that does not answer within `timeout_s` fails, and its client is
replaced for the next one, so a broken connection cannot keep a stale answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiokafka.admin import AIOKafkaAdminClient

from events.connections import KafkaConnection
from runtime.health import Health
from runtime.kafka import admin_settings

log = logging.getLogger(__name__)

CHECK = "kafka.reachable"


class KafkaProbe:
    def __init__(
        self,
        conn: KafkaConnection,
        health: Health,
        topic: str,
        *,
        interval_s: float = 5.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.conn, self.topic = conn, topic
        self.interval_s, self.timeout_s = interval_s, timeout_s
        self.reachable = health.ready_flag(CHECK)
        self._admin: AIOKafkaAdminClient | None = None

    async def probe(self) -> bool:
        """One round trip; the flag follows it. A failure is logged once per outage."""
        try:
            async with asyncio.timeout(self.timeout_s):
                if self._admin is None:
                    self._admin = await self._started_client()
                await self._admin.describe_topics([self.topic])
        except Exception as exc:  # any client error or the timeout: not reachable, try again
            if self.reachable():
                log.error("Kafka unreachable: %r", exc)
            self.reachable.clear()
            await self._drop_client()
            return False
        if not self.reachable():
            log.info("Kafka reachable")
        self.reachable.set()
        return True

    async def run(self) -> None:
        """Probe every `interval_s` until cancelled; the client is closed on the way out."""
        try:
            while True:
                await self.probe()
                await asyncio.sleep(self.interval_s)
        finally:
            self.reachable.clear()
            await self._drop_client()

    async def _started_client(self) -> AIOKafkaAdminClient:
        admin = AIOKafkaAdminClient(
            **admin_settings(
                self.conn, client_id="fw-readiness", request_timeout_ms=int(self.timeout_s * 1000)
            )
        )
        try:
            await admin.start()
        except BaseException:
            await admin.close()
            raise
        return admin

    async def _drop_client(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            with contextlib.suppress(Exception):  # closing a broken client: nothing to save
                async with asyncio.timeout(self.timeout_s):
                    await admin.close()


@contextlib.asynccontextmanager
async def kafka_probe(
    conn: KafkaConnection, health: Health, topic: str, **timing: float
) -> AsyncIterator[KafkaProbe]:
    """Probe in the background for the block (services without a loop of their own for it)."""
    probe = KafkaProbe(conn, health, topic, **timing)
    task = asyncio.create_task(probe.run(), name="kafka-probe")
    try:
        yield probe
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
