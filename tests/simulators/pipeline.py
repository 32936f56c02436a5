"""A scenario through the pure cores in one process, in simulated time: the simulator's
messages -> the worker's processors (device stages, compound stage) -> the dispatcher core,
whose linkage commands the simulated devices obey (their read-backs come back the same way).

No brokers: deterministic and fast, so every shipped scenario's incidents are checked on every
run; the broker path is the end-to-end test's (tests/streams/test_e2e_scenarios.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from alerts.config import DispatchConfig
from alerts.registry import EXAMPLE_DIR, load_registry
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from events.alerts import Alert
from events.codec import decode_reading
from events.errors import ContractViolation
from events.incidents import IncidentUpdate
from events.readings import Reading
from events.topics import Channel, MqttTopic
from runtime.clock import ManualClock, from_epoch_s
from simulators import scenarios
from simulators.delivery import Emission
from simulators.engine import Simulation
from simulators.truth import GroundTruth
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
from streams.processor import CompoundProcessor, DeviceProcessor, DictStore, Emitted

TICK_S = 1.0


@dataclass
class OfflineRun:
    truth: GroundTruth
    alerts: list[Alert] = field(default_factory=list)
    updates: list[IncidentUpdate] = field(default_factory=list)
    commands: int = 0


class _Pipeline:
    def __init__(self, sim: Simulation, start_s: float) -> None:
        self.sim, self.start_s = sim, start_s
        self.clock = ManualClock.at_epoch_s(start_s)
        engine = DeviceEngine()
        # The worker's stages: alarms (priority lane) and readings keep apart device states.
        self.readings = DeviceProcessor(engine, self.clock, DictStore(), 12)
        self.priority = DeviceProcessor(engine, self.clock, DictStore(), 3)
        self.compound = CompoundProcessor(CompoundEngine(), self.clock, DictStore(), 6)
        self.core = Dispatcher(load_registry(EXAMPLE_DIR), DispatchConfig())
        self.run: OfflineRun

    def now(self) -> datetime:
        return self.clock.now()

    def feed(self, emissions: list[Emission]) -> None:
        for e in emissions:  # a last will and a reconnect's status are messages too
            reading = _reading(e, self.start_s)
            if reading is None:
                continue
            out = Emitted()
            is_alarm = MqttTopic.parse(e.topic).channel is Channel.ALARM
            (self.priority if is_alarm else self.readings).on_reading(reading, out)
            self._flow(out)
            if reading.device_id in self.core.readback_devices():
                self._apply(self.core.on_reading(reading, self.now()))

    def _flow(self, out: Emitted) -> None:
        for signal in out.signals:
            self.compound.on_signal(signal, out)
        for alert in out.alerts:
            self.run.alerts.append(alert)
            self._apply(self.core.on_alert(alert, self.now()))

    def _apply(self, fx: Effects) -> None:
        self.run.updates += fx.updates
        for pending in fx.commands:
            self.run.commands += 1
            t_s = self.clock.now_s() - self.start_s
            self.feed(self.sim.apply_command(pending.command, t_s))

    def tick(self) -> None:
        out = Emitted()
        for stage in (self.readings, self.priority):
            stage.tick(out)
        self.compound.tick(out)
        self._flow(out)
        self._apply(self.core.on_tick(self.now()))


def _reading(e: Emission, start_s: float) -> Reading | None:
    try:
        reading = decode_reading(e.payload)
    except ContractViolation:
        return None  # what ingest would dead-letter
    received = datetime.fromtimestamp(start_s + e.t_s, tz=UTC)  # the bridge's clock
    return reading.model_copy(update={"received_at": received})


def run_offline_pipeline(name: str) -> OfflineRun:
    sc = scenarios.load_named(name)
    truth = sc.ground_truth()
    start_s = truth.start_at.timestamp()
    sim = sc.build()
    pipe = _Pipeline(sim, start_s)
    pipe.run = OfflineRun(truth)
    pipe.feed(sim.start())
    t_s = 0.0
    while t_s <= sc.duration_s:
        pipe.clock.set(from_epoch_s(start_s + t_s))
        pipe.feed(list(sim.run_until(t_s)))
        pipe.tick()
        t_s += TICK_S
    return pipe.run
