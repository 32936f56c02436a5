"""A dispatcher wired to fakes: fake clock, recording channels and outbox, SQLite ledger.

Shared by the unit tests (fixture in conftest.py) and the integration tests (make_alert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.clock import FakeClock
from alerts.config import DispatchConfig
from alerts.ledger import Database, Ledger
from alerts.notify.base import RecordingChannel, RecordingForwarder119
from alerts.registry import EXAMPLE_DIR, load_registry
from alerts.registry.models import ContactChannel
from alerts.service.dispatcher import Dispatcher
from alerts.service.pager import Pager
from alerts.service.ports import RecordingOutbox
from events.alerts import (
    DEFAULT_SEVERITY,
    Alert,
    AlertKind,
    AlertStatus,
    Evidence,
    LinkageRequest,
    incident_key,
)

DAY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: the day shift


@dataclass
class Rig:
    dispatcher: Dispatcher
    clock: FakeClock
    channels: dict[ContactChannel, RecordingChannel]
    forwarder: RecordingForwarder119
    outbox: RecordingOutbox
    ledger: Ledger
    db_url: str

    def pages(self, channel: ContactChannel = ContactChannel.CONSOLE) -> list[str]:
        return [f"{p.step_id}:{p.recipient_id}" for p in self.channels[channel].pages]


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
) -> Alert:
    return Alert(
        incident_key=incident_key(compound, "b1", kind, device),
        revision=revision,
        kind=kind,
        severity=DEFAULT_SEVERITY[kind],
        status=status,
        compound_id=compound,
        building_id="b1",
        device_id=device,
        gateway_id="gw-1",
        onset_at=at,
        raised_at=at,
        summary=f"{kind.value} at {device}",
        evidence=tuple(Evidence(event_id=f"{d}:1", device_id=d, observed_at=at) for d in evidence),
        linkage=linkage,
    )


def build_rig(
    db_url: str,
    clock: FakeClock,
    config: DispatchConfig | None = None,
    ledger: Ledger | None = None,
) -> Rig:
    channels = {ch: RecordingChannel() for ch in ContactChannel}
    forwarder = RecordingForwarder119()
    ledger = ledger or Ledger(Database(db_url))
    outbox = RecordingOutbox()
    dispatcher = Dispatcher(
        load_registry(EXAMPLE_DIR),
        config or DispatchConfig(),
        ledger,
        Pager(channels, forwarder, ledger),
        outbox,
        clock,
    )
    dispatcher.restore()
    return Rig(dispatcher, clock, channels, forwarder, outbox, ledger, db_url)
