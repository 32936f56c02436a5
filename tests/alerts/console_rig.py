"""The duty console served over real HTTP on a free loopback port, backed by the real
dispatcher core, its shell and a SQLite ledger (pages to recording channels, the 119 forward
to a recording forwarder): what the console does is what dispatch does, without Kafka and MQTT.

Shared by the console's HTTP tests and its Chromium tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from aiohttp import web

from alerts.config import DispatchConfig
from alerts.console.config import ConsoleConfig
from alerts.console.server import Console
from alerts.ledger import Database, Ledger
from alerts.lifecycle import ActionRequest, Incident
from alerts.maintenance import WorkOrder, WorkOrderAction
from alerts.notify.base import RecordingChannel, RecordingForwarder119
from alerts.notify.hub import ConsoleHub
from alerts.registry import EXAMPLE_DIR, Registry, load_registry
from alerts.registry.models import ContactChannel
from alerts.service.console_backend import ConsoleBackend
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from alerts.service.pager import Pager
from alerts.service.ports import RecordingOutbox
from alerts.service.shell import Shell
from events.alerts import Alert
from runtime.clock import Clock

PASSWORD = "firewatch-demo"  # the example registry's demo password


class RigBackend(ConsoleBackend):
    """The console's Backend port over the real dispatcher core and shell, as DispatchService
    wires them: one step at a time, its effects applied by the shell (ledger, pages, console
    events)."""

    def __init__(self, core: Dispatcher, shell: Shell, ledger: Ledger, clock: Clock) -> None:
        super().__init__(
            core.registry,
            core.config.escalation,
            shell.hub,
            core.open_incidents,
            self._apply,
            work_orders=core.work_orders,
            act_on_work_order=self._work_order,
        )
        self.core, self.shell, self.ledger, self.clock = core, shell, ledger, clock
        self._lock = asyncio.Lock()

    async def step(self, fx: Effects) -> None:
        await self.shell.apply(fx)

    async def _apply(self, req: ActionRequest) -> Incident:
        async with self._lock:
            await self.step(self.core.on_action(req, self.clock.now()))
        inc = self.core.find(req.incident_key)
        assert inc is not None
        return inc

    async def _work_order(self, order_id: str, action: WorkOrderAction, actor: str) -> WorkOrder:
        async with self._lock:
            await self.step(self.core.on_work_order(order_id, action, actor, self.clock.now()))
        return next(w for w in self.core.work_orders() if w.order_id == order_id)


@dataclass
class ConsoleRig:
    backend: RigBackend
    console: Console
    forwarder: RecordingForwarder119
    url: str
    db_url: str

    async def report(self, alert: Alert) -> Incident | None:
        """Hand one alert to dispatch; the incident it belongs to (None for a device fault:
        a maintenance work order, never on the duty list)."""
        backend = self.backend
        await backend.step(backend.core.on_alert(alert, backend.clock.now()))
        book = backend.core.books.get(alert.compound_id)
        return book.owner_of(alert.condition_key) if book else None

    async def raise_alert(self, alert: Alert) -> Incident:
        inc = await self.report(alert)
        assert inc is not None
        return inc

    def incident(self, key: str) -> Incident | None:
        """The incident while it is open (None once resolved)."""
        inc = self.backend.core.find(key)
        return inc if inc is not None and inc.is_open else None

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
    core = Dispatcher(registry or load_registry(EXAMPLE_DIR), DispatchConfig())
    restored = ledger.restore(clock.now() - timedelta(hours=1))
    core.restore(restored.incidents, restored.work_orders, restored.commands)
    pager = Pager(channels, forwarder)
    shell = Shell(core, ledger, pager, RecordingOutbox(), ConsoleHub(), clock)
    backend = RigBackend(core, shell, ledger, clock)
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
