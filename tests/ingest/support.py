"""Helpers for the ingest tests: payload factory, a fast QoS1 publisher, a Kafka reader."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer

from benchmarks.load import publish_all, smoke_stream
from events.topics import Channel, MqttTopic
from tests import polling

__all__ = ["publish_all"]

OBSERVED_AT = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def smoke(
    device: str, seq: int, compound: str = "c1", gateway: str = "gw1", **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "smoke",
        "device_id": device,
        "compound_id": compound,
        "gateway_id": gateway,
        "seq": seq,
        "observed_at": OBSERVED_AT.isoformat(),
        "obscuration_db_per_m": 0.01,
        "temperature_c": 21.5,
        "battery_pct": 90.0,
        **extra,
    }


def alarm(device: str, seq: int, compound: str = "c1", gateway: str = "gw1") -> dict[str, Any]:
    return {
        "kind": "device_alarm",
        "device_id": device,
        "compound_id": compound,
        "gateway_id": gateway,
        "seq": seq,
        "observed_at": OBSERVED_AT.isoformat(),
        "alarm_type": "smoke",
    }


def telemetry_topic(device: str, compound: str = "c1", gateway: str = "gw1") -> str:
    return MqttTopic.device(compound, gateway, device, Channel.TELEMETRY)


def alarm_topic(device: str, compound: str = "c1", gateway: str = "gw1") -> str:
    return MqttTopic.device(compound, gateway, device, Channel.ALARM)


def stream(devices: int, per_device: int, first_seq: int = 0) -> list[tuple[str, bytes]]:
    """Interleaved readings observed now (the bridge's real clock judges them)."""
    return smoke_stream(devices, per_device, first_seq=first_seq)


async def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """The ingest tests' positional form of the shared poll (tests/polling.py)."""
    await polling.wait_for(predicate, timeout_s, what=what)


class KafkaReader:
    """Reads topics from the beginning into lists, in the background."""

    def __init__(self, bootstrap: str, *topics: str) -> None:
        self.consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.records: dict[str, list[Any]] = {t: [] for t in topics}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> KafkaReader:
        await self.consumer.start()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            for tp, recs in batches.items():
                self.records[tp.topic].extend(recs)

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()

    def count(self, topic: str) -> int:
        return len(self.records[topic])

    def seqs_by_device(self, topic: str) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for rec in self.records[topic]:
            body = json.loads(rec.value)
            out.setdefault(body["device_id"], set()).add(body["seq"])
        return out
