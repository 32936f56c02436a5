"""Detection quality on real fire tests: the detectors run in-process, in data time, scored per
device against conventional heat detectors. `firewatch detection` (firewatch/commands/
detection.py) reproduces the tables of docs/DETECTION.md with it:

    firewatch detection --datasets ../shared/datasets --write docs/DETECTION.md

Composition root: it wires the stream worker's detectors (streams) to the dataset adapters and
the per-device scoring (simulators), which may not import each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from events.alerts import Alert, AlertKind
from events.codec import decode_reading
from events.errors import ContractViolation
from firewatch.detection_report import render
from simulators import heat_baselines
from simulators.datasets import runaway, ulfsri
from simulators.datasets.reporting import Reporting
from simulators.device_scoring import DeviceTable, fire_onset_s, score, score_recording, traces
from simulators.recording import Record
from streams.detectors.area import CompoundEngine
from streams.detectors.config import DetectorSettings
from streams.detectors.engine import DeviceEngine
from streams.processor import CompoundProcessor, DeviceProcessor, DictStore, Emitted

UL_TESTS = "ulfsri-residential-gasburner-2016/Two_Story"
TEST_NAMES = (
    "Gas_Burner_4",
    "Gas_Burner_4R2",
    "Gas_Burner_4R3",
    "Gas_Burner_4R4",
    "Gas_Burner_5",
    "Gas_Burner_5R2",
    "Gas_Burner_6",
    "Gas_Burner_6R2",
)
ARC = "thermal-runaway-arc"
ARC_LABELS = ("50", "70", "100", "120")
DETECTOR = "firewatch"
_TICK_S = 1.0


class DataClock:
    """The worker's clock, set to each reading's device time: a replay at any speed scores the
    same, and a recording from 2016 is judged as if it were live."""

    def __init__(self) -> None:
        self.t_s = 0.0

    def now_s(self) -> float:
        return self.t_s

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t_s, tz=UTC)

    def monotonic_s(self) -> float:
        return self.t_s


def engine_alerts(
    records: Iterable[Record], settings: DetectorSettings | None = None
) -> list[Alert]:
    """Every alert the stream worker's two stages raise for these records, run in-process in
    device time (the device stage's signals go straight to the compound stage)."""
    cfg = settings or DetectorSettings()
    clock = DataClock()
    devices = DeviceProcessor(DeviceEngine(cfg), clock, DictStore(), partitions=1)
    compounds = CompoundProcessor(CompoundEngine(cfg), clock, DictStore(), partitions=1)
    alerts: list[Alert] = []
    next_tick_s: float | None = None
    for rec in sorted(records, key=lambda r: r.t):
        try:
            reading = decode_reading(rec.payload)
        except ContractViolation:
            continue  # ingest would dead-letter it
        clock.t_s = reading.observed_at.timestamp()
        into = Emitted()
        if next_tick_s is not None and clock.t_s >= next_tick_s:
            devices.tick(into)
            compounds.tick(into)
        next_tick_s = clock.t_s + _TICK_S
        devices.on_reading(reading, into)
        for signal in into.signals:
            compounds.on_signal(signal, into)
        alerts.extend(into.alerts)
    return alerts


@dataclass(frozen=True)
class FireTestScores:
    """One fire test at one reporting: Firewatch and each baseline."""

    test: str
    reporting: str
    tables: tuple[DeviceTable, ...]  # Firewatch first, then heat_baselines.BASELINES in order


def score_test(
    path: Path,
    reporting: Reporting | None,
    settings: DetectorSettings | None = None,
    *,
    warm_up: bool = True,
) -> FireTestScores:
    conv = ulfsri.convert(path, reporting=reporting, warm_up=warm_up)
    ours = score_recording(conv.records, conv.truth, engine_alerts(conv.records, settings))
    devices = traces(conv.records, conv.truth.start_at)
    onset_s = fire_onset_s(conv.truth)
    baselines = tuple(
        score(
            conv.truth.name,
            name,
            devices,
            onset_s,
            {d: heat_baselines.alarms(t, rule) for d, t in devices.items()},
        )
        for name, rule in heat_baselines.BASELINES.items()
    )
    label = reporting.label() if reporting else "2 s (file)"
    return FireTestScores(path.stem, label, (ours, *baselines))


@dataclass(frozen=True)
class RunawayScores:
    """One ARC curve on one kind of port: the P1's latency after the vent (or first cell
    short), and how long before it each early warning came (seconds; None: never)."""

    label: str
    port: str
    p1_after_s: float | None
    early_s: dict[str, float | None]


RUNAWAY_PORTS: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {
    "gas + pack voltage": ((), {}),
    "pack voltage only": (("h2_ppm", "co_ppm", "voc_ppm"), {}),
    "mains side, no gas": (("h2_ppm", "co_ppm", "voc_ppm", "pack_voltage_v"), {"voltage_v": 230.0}),
}
EARLY = (
    AlertKind.CHARGING_TEMP_CLIMB,
    AlertKind.SOCKET_OVER_TEMPERATURE,
    AlertKind.BATTERY_OFF_GAS,
)


def _port_variant(
    records: Sequence[Record], drop: tuple[str, ...], set_: dict[str, float]
) -> list[Record]:
    out = []
    for r in records:
        data = json.loads(r.payload)
        for name in drop:
            data.pop(name, None)
        out.append(Record(r.t, r.topic, json.dumps({**data, **set_}).encode()))
    return out


def score_runaway(folder: Path, label: str, port: str) -> RunawayScores:
    conv = runaway.convert(folder, label=label)
    drop, set_ = RUNAWAY_PORTS[port]
    alerts = engine_alerts(_port_variant(conv.records, drop, set_))
    onset_at = conv.truth.start_at.timestamp() + conv.truth.expect[0].onset_s
    first = {
        kind: min((a.raised_at.timestamp() for a in alerts if a.kind is kind), default=None)
        for kind in (AlertKind.THERMAL_RUNAWAY, *EARLY)
    }
    p1 = first.pop(AlertKind.THERMAL_RUNAWAY)
    return RunawayScores(
        label,
        port,
        None if p1 is None else p1 - onset_at,
        {k.value: None if t is None else onset_at - t for k, t in first.items()},
    )


def all_tables(datasets: Path, how: Sequence[Reporting]) -> str:
    """Every fire test at every reporting and every runaway curve on every port: the markdown
    of docs/DETECTION.md's generated section."""
    folder = datasets / UL_TESTS
    results = [score_test(folder / f"{name}.csv", r) for name in TEST_NAMES for r in [None, *how]]
    arc = datasets / ARC
    runaways = [score_runaway(arc, label, port) for port in RUNAWAY_PORTS for label in ARC_LABELS]
    return render(results, runaways)


def reportings(
    intervals: Sequence[float], jitter: float, gaps: float, seed: int
) -> list[Reporting]:
    return [Reporting(i, jitter_frac=jitter, gap_frac=gaps, seed=seed) for i in intervals]
