"""Where `firewatch bench e2e` watches a P1 arrive: the stations' MQTT terminals and the duty
console's live stream, each as its real user reaches it.

A terminal logs in with its own credential (the stack's ACL lets it read its own page topic
only); a console reader signs in as a member with the demo password and reads /api/stream
(server-sent events). Each arrival is kept with its receive time (time.time(): the load
process stamps each P1's publish with the same CLOCK_REALTIME, one clock for every process of
the machine, so one clock measures both ends).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaConsumer, TopicPartition
from paho.mqtt.enums import CallbackAPIVersion

from alerts.config import DispatchConfig
from alerts.grouping import place_of
from alerts.notify.terminal import terminal_topic
from events.alerts import Alert, AlertStatus, Severity
from events.topics import Topics

# The example registry's published demo password (stations.yaml says so), not a secret.
DEMO_PASSWORD = "firewatch-demo"  # noqa: S105 - the example registry's demo password
FIRST_STEP = "p1-page"  # alerts.escalation: the P1 page at once; later steps are escalations


@dataclass
class Arrivals:
    """First receive time per incident key of the first page step, and how many came."""

    first: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    others: int = 0  # pages of later steps (escalations), counted, not measured
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, incident_key: str, step: str, at: float) -> None:
        with self.lock:
            if step != FIRST_STEP:
                self.others += 1
                return
            self.counts[incident_key] += 1
            self.first.setdefault(incident_key, at)


class TerminalWatch:
    """One station terminal's MQTT session (QoS 1, its own login)."""

    def __init__(self, host: str, port: int, terminal: str, password: str) -> None:
        self.terminal = terminal
        self.arrivals = Arrivals()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=terminal)
        self.client.username_pw_set(terminal, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_a: self.subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, *_a: Any) -> None:
        client.subscribe(terminal_topic(self.terminal), qos=1)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        at = time.time()
        page = json.loads(msg.payload)
        self.arrivals.note(page["incident_key"], page["step"], at)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class ConsoleWatch:
    """One member's signed-in console: the live stream's `page` events to that member."""

    def __init__(self, url: str, member_id: str) -> None:
        self.url = url.rstrip("/")
        self.member_id = member_id
        self.arrivals = Arrivals()
        self.ready = asyncio.Event()  # the stream's first event (the snapshot) came
        self.task: asyncio.Task[None] | None = None
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # unsafe: the console is reached by IP address (loopback); aiohttp's default jar
        # keeps no cookie from an address, and the session is a cookie.
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.session = session
        body = {"member_id": self.member_id, "password": DEMO_PASSWORD}
        headers = {"Origin": self.url}
        async with session.post(f"{self.url}/api/login", json=body, headers=headers) as resp:
            if resp.status != 200:
                raise RuntimeError(f"console sign-in of {self.member_id}: HTTP {resp.status}")
        self.task = asyncio.create_task(self._read(session))

    async def _read(self, session: aiohttp.ClientSession) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with session.get(f"{self.url}/api/stream", timeout=timeout) as resp:
            event = ""
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    self._on_event(event, line[6:])

    def _on_event(self, event: str, data: str) -> None:
        at = time.time()
        self.ready.set()
        if event == "page":
            page = json.loads(data)
            self.arrivals.note(page["incident_key"], page["step"], at)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.session is not None:
            await self.session.close()


class AlertWatch:
    """The P1 alerts on Kafka (fw.alerts), first per incident place: where a P1's time goes
    between detection (bridge + worker) and dispatch. Polls like dispatch does (its
    fetch_max_wait_ms), so it sees an alert when dispatch can."""

    def __init__(self, bootstrap: str) -> None:
        self.first: dict[str, float] = {}
        # Device alarms on the priority topic (few: alarms only), first per device: the
        # bridge's share of a P1's time, before the worker's.
        self.alarm_first: dict[str, float] = {}
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            fetch_max_wait_ms=DispatchConfig().fetch_max_wait_ms,
            enable_auto_commit=False,
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.topics()  # the cluster's metadata, so the partitions are known
        self.consumer.assign(
            [
                TopicPartition(topic, p)
                for topic in (Topics.ALERTS, Topics.PRIORITY)
                for p in self.consumer.partitions_for_topic(topic) or set()
            ]
        )
        await self.consumer.seek_to_end()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            at = time.time()
            for tp, records in batches.items():
                if tp.topic == Topics.PRIORITY:
                    for rec in records:
                        self.alarm_first.setdefault((rec.key or b"").decode(), at)
                    continue
                for rec in records:
                    alert = Alert.model_validate_json(rec.value)
                    if alert.severity is Severity.P1 and alert.status is AlertStatus.RAISED:
                        self.first.setdefault(place_of(alert).key, at)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()


async def until(predicate: Callable[[], bool], timeout_s: float) -> None:
    """Arrivals come from paho's thread and the SSE readers: poll them with a deadline; what
    has not come by then is reported missing."""
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110 - other threads
        await asyncio.sleep(0.05)


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system, every thread) each process has used so far (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[name] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (proc(5))
    return out


def cpu_shares(
    before: dict[str, float], after: dict[str, float], wall_s: float
) -> dict[str, float]:
    """Each process's CPU over the load, as a share of one core: what sizes a deployment."""
    return {name: round((after[name] - before[name]) / wall_s, 3) for name in after}
