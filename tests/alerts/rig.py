"""The dispatcher core and its shell wired to fakes: fake clock, recording channels and
outbox, a SQLite ledger. Shared by the unit tests (fixture in conftest.py) and the
integration tests (make_alert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.config import DispatchConfig
from alerts.ledger import Database, Ledger
from alerts.lifecycle import Action, ActionRequest, Incident, Outcome
from alerts.notify.base import RecordingChannel, RecordingForwarder119
from alerts.notify.hub import ConsoleHub
from alerts.registry import EXAMPLE_DIR, load_registry
from alerts.registry.models import ContactChannel
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from alerts.service.pager import Pager
from alerts.service.ports import RecordingOutbox
from alerts.service.shell import Shell
from events.alerts import (
    DEFAULT_SEVERITY,
    Alert,
    AlertKind,
    AlertStatus,
    Evidence,
    LinkageAction,
    LinkageRequest,
    Severity,
    condition_key,
)
from events.readings import ChargingPortReading, PortState, RelayState
from runtime.clock import ManualClock
from tests.streams.fixtures import T0, port

DAY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: the day shift
# A runaway on charging port cp-1: its relay is cut, and the port's readings read it back.
CUT = LinkageRequest(
    action=LinkageAction.CUT_POWER, device_id="cp-1", gateway_id="gw-1", reason="runaway"
)


@dataclass
class Rig:
    core: Dispatcher
    shell: Shell
    clock: ManualClock
    channels: dict[ContactChannel, RecordingChannel]
    forwarder: RecordingForwarder119
    outbox: RecordingOutbox
    hub: ConsoleHub
    ledger: Ledger
    db_url: str

    def pages(self, channel: ContactChannel = ContactChannel.CONSOLE) -> list[str]:
        return [f"{p.step_id}:{p.recipient_id}" for p in self.channels[channel].pages]

    async def run(self, fx: Effects) -> Effects:
        await self.shell.apply(fx)
        return fx

    async def alert(self, alert: Alert) -> Incident | None:
        """Hand one alert to the core and apply its effects; the incident that owns it."""
        await self.run(self.core.on_alert(alert, self.clock.now()))
        book = self.core.books.get(alert.compound_id)
        return book.owner_of(alert.condition_key) if book else None

    async def act(  # noqa: PLR0917 - the console action, as the service takes it
        self,
        key: str,
        action: Action,
        actor: str = "ste-m1",
        source: str = "console",
        outcome: Outcome | None = None,
        cause: str | None = None,
    ) -> Incident:
        req = ActionRequest(key, action, actor, source, outcome, cause)
        fx = self.core.on_action(req, self.clock.now())
        await self.run(fx)
        inc = self.core.find(key)
        assert inc is not None
        return inc

    async def tick(self) -> None:
        await self.run(self.core.on_tick(self.clock.now()))

    async def reading(self, reading: object) -> None:
        await self.run(self.core.on_reading(reading, self.clock.now()))


def port_reading(relay: RelayState, *, seq: int = 9, at: datetime = DAY) -> ChargingPortReading:
    """Faulted port cp-1 reporting its relay: the read-back of CUT (on: not cut yet)."""
    return port(
        "cp-1",
        seq,
        at.timestamp() - T0,
        compound_id="c001",
        gateway_id="gw-1",
        state=PortState.FAULT,
        relay_state=relay,
    )


def make_alert(
    kind: AlertKind = AlertKind.FIRE,
    device: str = "sd-1",
    *,
    revision: int = 1,
    evidence: tuple[str, ...] = (),
    linkage: tuple[LinkageRequest, ...] = (),
    status: AlertStatus = AlertStatus.RAISED,
    at: datetime = DAY,
    compound: str = "c001",
    building: str | None = "b1",
    area: str | None = None,
    severity: Severity | None = None,
) -> Alert:
    subject = f"area:{area}" if area and not device else device
    return Alert(
        condition_key=condition_key(compound, building, kind, subject),
        revision=revision,
        kind=kind,
        severity=severity or DEFAULT_SEVERITY[kind],
        status=status,
        compound_id=compound,
        building_id=building,
        area_id=area,
        device_id=device or None,
        gateway_id="gw-1",
        onset_at=at,
        raised_at=at,
        summary=f"{kind.value} at {device or area}",
        evidence=tuple(Evidence(event_id=f"{d}:1", device_id=d, observed_at=at) for d in evidence),
        linkage=linkage,
    )


def build_rig(
    db_url: str,
    clock: ManualClock,
    config: DispatchConfig | None = None,
    ledger: Ledger | None = None,
) -> Rig:
    channels = {ch: RecordingChannel() for ch in ContactChannel}
    forwarder = RecordingForwarder119()
    ledger = ledger or Ledger(Database(db_url))
    outbox = RecordingOutbox()
    hub = ConsoleHub()
    core = Dispatcher(load_registry(EXAMPLE_DIR), config or DispatchConfig())
    restored = ledger.restore(clock.now() - timedelta(hours=1))
    core.restore(restored.incidents, restored.work_orders, restored.commands)
    shell = Shell(core, ledger, Pager(channels, forwarder), outbox, hub, clock)
    return Rig(core, shell, clock, channels, forwarder, outbox, hub, ledger, db_url)
