"""One fault case's traffic: its own devices on one gateway of the example compound, smoke
readings at a steady rate, optionally duplicated, reordered or with a skewed clock, and one
device-side smoke alarm (the alert that must reach dispatch exactly once). Records what was
sent; the gateways' PUBACKs say it was acknowledged (GatewayPool.drain)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from events.topics import Channel, MqttTopic
from simulators.mqtt.pool import GatewayPool

GW1, GW2 = ("c001", "c001-gw1"), ("c001", "c001-gw2")


@dataclass
class Case:
    name: str
    gateway: tuple[str, str] = GW1
    devices: int = 10
    # Seconds the gateway clock is off (its readings' observed_at), + ahead, - behind.
    skew_s: float = 0.0
    expected: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    sent: int = 0
    rounds_done: int = 0  # a later stream() goes on with the next seqs

    @property
    def alarm_device(self) -> str:
        return f"{self.name}-alarm"

    def device(self, i: int) -> str:
        return f"{self.name}-{i:03d}"

    def _observed_at(self) -> str:
        return (datetime.now(UTC) + timedelta(seconds=self.skew_s)).isoformat()

    def _envelope(self, device: str, seq: int) -> dict[str, object]:
        compound, gateway = self.gateway
        return {
            "device_id": device,
            "compound_id": compound,
            "gateway_id": gateway,
            "seq": seq,
            "observed_at": self._observed_at(),
        }

    def smoke(self, device: str, seq: int) -> tuple[str, bytes]:
        body = self._envelope(device, seq) | {
            "kind": "smoke",
            "obscuration_db_per_m": 0.01,
            "temperature_c": 21.5,
            "battery_pct": 90.0,
        }
        topic = MqttTopic.device(*self.gateway, device, Channel.TELEMETRY)
        return topic, json.dumps(body).encode()

    async def publish(self, pool: GatewayPool, topic: str, payload: bytes, seq: int) -> None:
        await pool.publish(self.gateway, topic, payload, 1, False)
        self.expected[json.loads(payload)["device_id"]].add(seq)
        self.sent += 1

    async def alarm(self, pool: GatewayPool, seq: int = 0) -> None:
        """A device-side smoke alarm: the worker raises a fire, dispatch opens an incident."""
        body = self._envelope(self.alarm_device, seq) | {
            "kind": "device_alarm",
            "alarm_type": "smoke",
        }
        topic = MqttTopic.device(*self.gateway, self.alarm_device, Channel.ALARM)
        await self.publish(pool, topic, json.dumps(body).encode(), seq)

    async def stream(
        self,
        pool: GatewayPool,
        rounds: int,
        rate_msg_s: float,
        *,
        copies: int = 1,
        reorder_block: int = 1,
        seed: int = 19,
    ) -> None:
        """`rounds` readings per device at `rate_msg_s` in all. `copies`: every reading sent
        that many times (QoS1 redelivery storms); `reorder_block`: readings shuffled within
        blocks of that many rounds (a gateway flushing out of order)."""
        rng = random.Random(f"{seed}:{self.name}:{self.rounds_done}")
        started, count = time.monotonic(), 0
        begin, end = self.rounds_done, self.rounds_done + rounds
        self.rounds_done = end
        for first in range(begin, end, reorder_block):
            block = [
                (self.device(i), seq)
                for seq in range(first, min(first + reorder_block, end))
                for i in range(self.devices)
            ]
            if reorder_block > 1:
                rng.shuffle(block)
            for device, seq in block:
                topic, payload = self.smoke(device, seq)
                for _ in range(copies):
                    await self.publish(pool, topic, payload, seq)
                    count += 1
                # Load generation, not waiting on an outcome: hold the planned rate.
                ahead_s = started + count / rate_msg_s - time.monotonic()
                if ahead_s > 0:
                    await asyncio.sleep(ahead_s)
