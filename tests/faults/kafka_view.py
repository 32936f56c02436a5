"""What reached Kafka, read in the background from the beginning: every device's seqs (on
the readings and priority topics), the sequence records, the dead letters and the alerts."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from typing import Any

from aiokafka import AIOKafkaConsumer

from events.topics import Topics

Expected = dict[str, set[int]]  # device id -> the seqs its gateway got a PUBACK for


class KafkaView:
    TOPICS = (Topics.READINGS, Topics.PRIORITY, Topics.SEQUENCE, Topics.DEAD_LETTER, Topics.ALERTS)

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            *self.TOPICS,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
        )
        self.seqs: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self.anomalies: defaultdict[str, list[str]] = defaultdict(list)
        self.dead: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> KafkaView:
        await self.consumer.start()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():
                for record in records:
                    self._take(tp.topic, json.loads(record.value))

    def _take(self, topic: str, body: dict[str, Any]) -> None:
        if topic in (Topics.READINGS, Topics.PRIORITY):
            self.seqs[body["device_id"]][body["seq"]] += 1
        elif topic == Topics.SEQUENCE:
            self.anomalies[body["device_id"]].append(body["anomaly"])
        elif topic == Topics.DEAD_LETTER:
            self.dead.append(body)
        else:
            self.alerts.append(body)

    def missing(self, expected: Expected) -> dict[str, set[int]]:
        """What the gateways sent (and had acknowledged) that is not on Kafka."""
        out = {d: seqs - set(self.seqs.get(d, ())) for d, seqs in expected.items()}
        return {d: m for d, m in out.items() if m}

    def has_all(self, expected: Expected) -> bool:
        return not self.missing(expected)

    def alerts_for(self, device_id: str, kind: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts if a.get("device_id") == device_id and a["kind"] == kind]

    def reemitted(self, device_id: str) -> int:
        """Alert revisions of this device's conditions published more than once (at-least-once
        after a worker crash; consumers must absorb them)."""
        mine = [a for a in self.alerts if a.get("device_id") == device_id]
        revisions = Counter((a["condition_key"], a["revision"]) for a in mine)
        return sum(n - 1 for n in revisions.values() if n > 1)

    def dead_for(self, topic_part: str) -> list[dict[str, Any]]:
        return [d for d in self.dead if topic_part in str(d.get("mqtt_topic"))]
