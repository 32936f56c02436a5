"""The worker's alerts on a producer of their own, so a P1 is not queued behind state writes
(issue #17; DOMAIN.md: a P1 pages within the target under city load).

Why: aiokafka keeps one produce request in flight per broker and producer. Through Faust's
producer an alert waited for whatever request was on the wire: at a state flush, a changelog
batch of up to `producer_max_batch_bytes` per partition (alert sent -> durable on Tansu p50 26 /
p90 118 / p99 222 ms at 2,000 msg/s). A producer that carries nothing but alerts has nothing in
flight before them.

What holds (ARCHITECTURE.md: at least once): the worker awaits every alert's delivery before it
sends the state that says "raised" and before the lane acks the record (streams/app.py
`Worker.publish`), so Faust's flush-before-commit is not needed for them; acks=all as every
producer here (runtime/kafka.py); linger 0: an alert is not held back for a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaProducer

from events.connections import KafkaConnection
from runtime.kafka import producer_settings


class AlertProducer:
    """Started at the first alert (or by `run`, the app task that also stops it)."""

    def __init__(self, kafka: KafkaConnection, *, client_id: str) -> None:
        self.kafka, self.client_id = kafka, client_id
        self._client: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def send(
        self, topic: str, key: bytes, value: bytes, *, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        """Hand the alert to this producer now: the delivery future (acks=all)."""
        client = await self._started()
        delivery: Awaitable[Any] = await client.send(topic, value, key=key, headers=headers)
        return delivery

    async def run(self) -> None:
        """Start now, stop when cancelled (the worker stopping): an app task."""
        await self._started()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        async with self._lock:
            client, self._client = self._client, None
            if client is not None:
                await client.stop()  # flushes what is handed over: nothing lost

    async def _started(self) -> AIOKafkaProducer:
        client = self._client
        if client is not None:
            return client
        async with self._lock:
            if self._client is None:
                fresh = AIOKafkaProducer(
                    **producer_settings(self.kafka, client_id=self.client_id, linger_ms=0)
                )
                await fresh.start()
                self._client = fresh
            return self._client
