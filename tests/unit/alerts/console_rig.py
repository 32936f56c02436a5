"""The duty console served over real HTTP on a free loopback port, backed by the real
Dispatcher and SQLite ledger (pages to recording channels, the 119 forward to a recording
forwarder): what the console does is what dispatch does, without Kafka and MQTT.

Shared by the console's HTTP tests and its Chromium tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from aiohttp import web

from alerts.clock import Clock
from alerts.config import DispatchConfig
from alerts.console.config import ConsoleConfig
from alerts.console.server import Console
from alerts.escalation import EscalationPolicy
from alerts.ledger import Database, Ledger
from alerts.lifecycle import Action, Incident, Outcome
from alerts.notify.base import RecordingChannel, RecordingForwarder119
from alerts.notify.hub import ConsoleHub
from alerts.registry import EXAMPLE_DIR, Registry, load_registry
from alerts.registry.models import ContactChannel
from alerts.service.dispatcher import Dispatcher
from alerts.service.pager import Pager
from alerts.service.ports import RecordingOutbox
from events.alerts import Alert

PASSWORD = "firewatch-demo"  # the example registry's demo password


class RigBackend:
    """The console's Backend port over a real Dispatcher (as DispatchService does it)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.registry: Registry = dispatcher.registry
        self.policy: EscalationPolicy = dispatcher.config.escalation
        self.hub = ConsoleHub()
        dispatcher.on_change = self._changed

    def open_incidents(self) -> list[Incident]:
        return list(self.dispatcher.incidents.values())

    async def act(  # noqa: PLR0917 - the console Backend protocol
        self,
        key: str,
        action: Action,
        actor: str,
        source: str,
        outcome: Outcome | None,
        cause: str | None,
    ) -> Incident:
        inc = await self.dispatcher.act(key, action, actor, source, outcome, cause)
        self._changed(inc)
        return inc

    def _changed(self, inc: Incident) -> None:
        self.hub.publish({"type": "incident", "incident": inc})


@dataclass
class ConsoleRig:
    backend: RigBackend
    console: Console
    forwarder: RecordingForwarder119
    url: str
    db_url: str

    async def raise_alert(self, alert: Alert) -> Incident:
        inc = await self.backend.dispatcher.handle_alert(alert)
        assert inc is not None
        return inc

    def incident(self, key: str) -> Incident | None:
        return self.backend.dispatcher.find(key)

    def client(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=headers)

    @asynccontextmanager
    async def signed_in(
        self, member_id: str, **headers: str
    ) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        """A client signed in as `member_id` and its CSRF token."""
        async with self.client(**headers) as client:
            res = await client.post(
                "/api/login", json={"member_id": member_id, "password": PASSWORD}
            )
            assert res.status_code == 200, res.text
            yield client, str(res.json()["csrf"])


def on_duty(registry: Registry, station_id: str, at: datetime) -> str:
    shift = registry.station(station_id).shift_at(at)
    assert shift is not None
    return shift.members[0]


@asynccontextmanager
async def serve_console(
    db_url: str,
    clock: Clock,
    *,
    registry: Registry | None = None,
    config: ConsoleConfig | None = None,
) -> AsyncIterator[ConsoleRig]:
    """A console on 127.0.0.1 and a free port; stopped (and its database closed) on exit."""
    ledger = Ledger(Database(db_url))
    forwarder = RecordingForwarder119()
    channels = {ch: RecordingChannel() for ch in ContactChannel}
    dispatcher = Dispatcher(
        registry or load_registry(EXAMPLE_DIR),
        DispatchConfig(),
        ledger,
        Pager(channels, forwarder, ledger),
        RecordingOutbox(),
        clock,
    )
    dispatcher.restore()
    backend = RigBackend(dispatcher)
    console = Console(backend, clock, config or ConsoleConfig(), Database(db_url))
    runner = web.AppRunner(console.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield ConsoleRig(backend, console, forwarder, f"http://127.0.0.1:{port}", db_url)
    finally:
        backend.hub.close()
        await runner.cleanup()
        ledger.db.close()
