"""Fault matrix, load: 1,000 readings a second from 1,000 devices for 3 minutes through the
whole embedded stack. The bridge keeps up with live traffic (not only with the drain of a
backlog), its in-flight stays within its window, the bridge's and Mosquitto's memory stay
flat, every reading reaches Kafka, and a stop drains within its deadline.

Issue 19 measured, through `firewatch up` on a loaded machine: 200 msg/s into Kafka, 98,000
in flight against a window of 2,000, the bridge 82 -> 570 MB, Mosquitto 8 -> 290 MB with
273,770 queued, and a stop that did not drain in 10 s.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from benchmarks.soak_rig import rss_mb
from events.topics import Channel, MqttTopic
from simulators.mqtt.fastpub import FastPool
from tests.faults.load import GW1, GW2
from tests.faults.rig import Rig
from tests.polling import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RATE_MSG_S = 1000
DURATION_S = 180
DEVICES = 1000
WINDOW = 2000  # ingest.config.IngestConfig.receive_maximum, the default the stack runs


@dataclass
class Sample:
    at_s: float
    sent: int
    bridged: int  # acknowledged by the bridge to MQTT: written to Kafka
    in_flight_peak: int
    bridge_mb: float
    mosquitto_mb: float


def _metrics(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found = re.findall(
        r'^firewatch_ingest_(\w+?)(?:_total)?\{lane="telemetry"\} (\S+)$', text, re.M
    )
    return {name: float(value) for name, value in found}


async def _publish(rig: Rig, pool: FastPool, seconds: float, sent: list[int]) -> None:
    """`RATE_MSG_S` readings a second, round-robin over the devices, each device's seq up."""
    started = time.monotonic()
    for n in range(int(RATE_MSG_S * seconds)):
        device = n % DEVICES
        gw = GW1 if device % 2 else GW2
        name = f"load-{device:04d}"
        body = {
            "kind": "smoke",
            "device_id": name,
            "compound_id": gw[0],
            "gateway_id": gw[1],
            "seq": n // DEVICES,
            "observed_at": datetime.now(UTC).isoformat(),
            "obscuration_db_per_m": 0.01,
            "temperature_c": 21.5,
            "battery_pct": 90.0,
        }
        topic = MqttTopic.device(*gw, name, Channel.TELEMETRY)
        await pool.publish(gw, topic, json.dumps(body).encode())
        sent[0] = n + 1
        ahead_s = started + (n + 1) / RATE_MSG_S - time.monotonic()
        if ahead_s > 0:  # load generation holds its planned rate
            await asyncio.sleep(ahead_s)


async def _sample(rig: Rig, sent: list[int], started: float) -> Sample:
    m = await asyncio.to_thread(_metrics, rig.bridge_metrics_port)
    return Sample(
        time.monotonic() - started,
        sent[0],
        int(m.get("acked", 0)),
        int(m.get("in_flight_peak", 0)),
        rss_mb(rig.service("ingest").pid),
        rss_mb(rig.mosquitto.process.pid),
    )


@pytest.fixture(scope="module")
async def fast_pool(rig: Rig) -> AsyncIterator[FastPool]:
    assert rig.ends is not None
    pool = FastPool(rig.ends.gateway_connection(), client_prefix="load", window=5000)
    yield pool
    await pool.close()


async def test_1000_msg_s_for_3_minutes_keeps_up_in_bounded_memory(
    rig: Rig, fast_pool: FastPool
) -> None:
    sent, samples, started = [0], [], time.monotonic()
    publishing = asyncio.ensure_future(_publish(rig, fast_pool, DURATION_S, sent))
    while not publishing.done():
        await asyncio.wait([publishing], timeout=10)  # one sample every 10 s
        samples.append(await _sample(rig, sent, started))
    await publishing
    total = sent[0]
    for s in samples:
        print(f"FAULT-RESULT load {s}")
    achieved = total / samples[-1].at_s
    assert achieved >= 0.95 * RATE_MSG_S, f"the load was not applied: {achieved:.0f} msg/s"
    live = [s for s in samples if s.at_s >= 30]  # after start-up
    # Keeps up: what the bridge wrote trails what was sent by a bounded backlog, never a
    # growing one. 10 s of traffic: the suite must hold with a CPU hog beside it (2 cores),
    # where a scheduling stall of a few seconds is the machine, not the bridge.
    assert max(s.sent - s.bridged for s in live) <= 10 * RATE_MSG_S, live
    assert max(s.in_flight_peak for s in samples) <= WINDOW
    # Flat memory: the last minute against the first after start-up.
    first, last = live[0], [s for s in live if s.at_s >= DURATION_S - 60]
    assert max(s.bridge_mb for s in last) - first.bridge_mb <= 30, live
    assert max(s.mosquitto_mb for s in last) - first.mosquitto_mb <= 20, live
    m = await wait_for(
        lambda: (x := _metrics(rig.bridge_metrics_port))["acked"] >= total and x,
        60,
        what="every reading written",
    )
    assert m["acked"] == total
    assert rig.kafka is not None
    rounds = total // DEVICES
    expected = {f"load-{d:04d}": set(range(rounds)) for d in range(DEVICES)}
    view = rig.kafka
    await wait_for(lambda: view.has_all(expected), 120, what="every reading on Kafka")
    await _stops_within_its_deadline(rig)


async def _stops_within_its_deadline(rig: Rig) -> None:
    """The stack kills a service after 10 s: the bridge drains and exits well before."""
    bridge = rig.service("ingest")
    stopped_at = time.monotonic()
    code = await asyncio.to_thread(bridge.stop, 10.0)
    took_s = time.monotonic() - stopped_at
    print(f"FAULT-RESULT load stop took {took_s:.2f} s, exit {code}")
    assert code == 0
    assert took_s < 10
    final = json.loads(rig.log_of("ingest").strip().splitlines()[-1])["ingest_stats"]
    assert final["reconciled"] is True
