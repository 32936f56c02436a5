"""Score every device of a dataset recording: reached by the fire or not, detected or not, its
latency after the onset, its alarms before the onset (issue #14.6; pure, no I/O).

The fire "reached" a device when its readings rose >= 10 C above their pre-onset median (the
UL FSRI ceiling thermocouples rise > 10 C within 6-19 s of ignition where the fire reaches,
PROVENANCE.txt); a median of 5 readings keeps one noise spike from counting. A device is
detected by the first fire alert attributed to it (its own, or its area's) at or after the
onset; any fire-family alert before the onset (a pre-alarm included) is a false alarm.

`score_recording(records, truth, alerts)` is the entry point for `firewatch eval --per-device`
(`render_table` prints it): the alerts may come from Kafka (a real pipeline) or from the
detectors run in-process (`firewatch.detection_eval.engine_alerts`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from events.alerts import Alert, AlertKind, AlertStatus
from events.codec import decode_reading
from events.errors import ContractViolation
from events.readings import SmokeReading
from simulators.recording import Record
from simulators.truth import GroundTruth

REACHED_RISE_C = 10.0
_MEDIAN_OF = 5
FIRE_FAMILY = frozenset({AlertKind.FIRE, AlertKind.FIRE_PRE_ALARM})


@dataclass(frozen=True, slots=True)
class Trace:
    """One device's temperatures, in seconds after the recording's start."""

    device_id: str
    area_id: str | None
    samples: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Alarm:
    t_s: float  # after the recording's start
    kind: AlertKind


@dataclass(frozen=True, slots=True)
class DeviceScore:
    device_id: str
    area_id: str | None
    is_reached: bool
    latency_s: float | None  # first fire alarm at or after the onset, None when never
    false_alarms: int  # fire-family alarms before the onset

    @property
    def is_detected(self) -> bool:
        return self.latency_s is not None


@dataclass(frozen=True)
class DeviceTable:
    """One detector on one recording: a row per device."""

    name: str
    detector: str
    rows: tuple[DeviceScore, ...]

    @property
    def reached(self) -> list[DeviceScore]:
        return [r for r in self.rows if r.is_reached]

    @property
    def missed(self) -> list[DeviceScore]:
        return [r for r in self.reached if not r.is_detected]

    @property
    def false_alarms(self) -> int:
        return sum(r.false_alarms for r in self.rows)

    @property
    def latencies_s(self) -> list[float]:
        return [r.latency_s for r in self.reached if r.latency_s is not None]

    @property
    def median_latency_s(self) -> float | None:
        lat = self.latencies_s
        return statistics.median(lat) if lat else None


def traces(records: Iterable[Record], start_at: datetime) -> dict[str, Trace]:
    """The temperature of every heat/smoke device in a recording (other kinds are skipped)."""
    t0 = start_at.timestamp()
    samples: dict[str, list[tuple[float, float]]] = {}
    areas: dict[str, str | None] = {}
    for rec in records:
        try:
            r = decode_reading(rec.payload)
        except ContractViolation:
            continue  # a dead letter in the making: no temperature to score
        if isinstance(r, SmokeReading):
            samples.setdefault(r.device_id, []).append(
                (r.observed_at.timestamp() - t0, r.temperature_c)
            )
            areas[r.device_id] = r.area_id
    return {d: Trace(d, areas[d], tuple(sorted(s))) for d, s in sorted(samples.items())}


def is_reached(trace: Trace, onset_s: float, rise_c: float = REACHED_RISE_C) -> bool:
    before = [v for t, v in trace.samples if t < onset_s]
    after = [v for t, v in trace.samples if t >= onset_s]
    if not before or len(after) < _MEDIAN_OF:
        return False
    level = statistics.median(before) + rise_c
    return any(
        statistics.median(after[i : i + _MEDIAN_OF]) >= level
        for i in range(len(after) - _MEDIAN_OF + 1)
    )


def alarms_from_alerts(
    alerts: Iterable[Alert], devices: Mapping[str, Trace], start_at: datetime
) -> dict[str, list[Alarm]]:
    """Fire-family alerts per device: the device's own, or its area's (an alert with no device
    whose area is the device's). Each condition counts once, at its first raise."""
    t0 = start_at.timestamp()
    first: dict[str, Alert] = {}
    for a in alerts:
        if a.kind in FIRE_FAMILY and a.status is not AlertStatus.CLEARED:
            seen = first.get(a.condition_key)
            if seen is None or a.raised_at < seen.raised_at:
                first[a.condition_key] = a
    by_area: dict[str, list[str]] = {}
    for d in devices.values():
        if d.area_id is not None:
            by_area.setdefault(d.area_id, []).append(d.device_id)
    out: dict[str, list[Alarm]] = {d: [] for d in devices}
    for a in first.values():
        if a.device_id in out:
            owners = [a.device_id]
        else:
            owners = by_area.get(a.area_id or "", []) if a.device_id is None else []
        for device_id in owners:
            out[device_id].append(Alarm(a.raised_at.timestamp() - t0, a.kind))
    return out


def score(
    name: str,
    detector: str,
    devices: Mapping[str, Trace],
    onset_s: float,
    alarms: Mapping[str, Sequence[Alarm]],
) -> DeviceTable:
    rows = []
    for device_id, trace in devices.items():
        mine = sorted(alarms.get(device_id, ()), key=lambda a: a.t_s)
        fires = [a.t_s - onset_s for a in mine if a.kind is AlertKind.FIRE and a.t_s >= onset_s]
        rows.append(
            DeviceScore(
                device_id=device_id,
                area_id=trace.area_id,
                is_reached=is_reached(trace, onset_s),
                latency_s=fires[0] if fires else None,
                false_alarms=sum(1 for a in mine if a.t_s < onset_s),
            )
        )
    return DeviceTable(name, detector, tuple(rows))


def fire_onset_s(truth: GroundTruth) -> float:
    """The onset of the recording's fire expectation (the ignition of a UL FSRI test)."""
    onsets = [e.onset_s for e in truth.expect if e.kind is AlertKind.FIRE]
    if not onsets:
        raise ValueError(f"{truth.name}: the ground truth expects no fire")
    return min(onsets)


def score_recording(
    records: Sequence[Record],
    truth: GroundTruth,
    alerts: Iterable[Alert],
    *,
    detector: str = "firewatch",
    readings_start_at: datetime | None = None,
) -> DeviceTable:
    """Every device of a dataset recording scored against the alerts a pipeline raised.

    `readings_start_at`: the t = 0 of the records when the run was rebased (a replay moves its
    readings, and so its alerts, to now; the truth is moved with them, the file is not)."""
    devices = traces(records, readings_start_at or truth.start_at)
    alarms = alarms_from_alerts(alerts, devices, truth.start_at)
    return score(truth.name, detector, devices, fire_onset_s(truth), alarms)


def _cell(row: DeviceScore) -> str:
    text = "missed" if row.is_reached and not row.is_detected else _seconds(row.latency_s)
    return text + (f" (false alarms: {row.false_alarms})" if row.false_alarms else "")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def to_json(table: DeviceTable) -> dict[str, object]:
    """The table for machines: the rows and the summary line's figures."""
    return {
        "name": table.name,
        "detector": table.detector,
        "devices": [
            {
                "device_id": r.device_id,
                "area_id": r.area_id,
                "reached": r.is_reached,
                "latency_s": r.latency_s,
                "false_alarms": r.false_alarms,
            }
            for r in table.rows
        ],
        "reached": len(table.reached),
        "missed": [r.device_id for r in table.missed],
        "median_latency_s": table.median_latency_s,
        "false_alarms": table.false_alarms,
        "passed": not table.missed and not table.false_alarms,
    }


def render_table(table: DeviceTable) -> str:
    """A table for people: one line per device, then the median latency of the reached ones."""
    lines = [
        f"{table.name}  ({table.detector})",
        f"{'device':<44} {'reached':<8} latency after onset",
    ]
    for row in table.rows:
        lines.append(f"{row.device_id:<44} {'yes' if row.is_reached else 'no':<8} {_cell(row)}")
    reached = len(table.reached)
    lines.append(
        f"detected {reached - len(table.missed)}/{reached} reached devices, "
        f"median latency {_seconds(table.median_latency_s)}, "
        f"false alarms before the onset {table.false_alarms}"
    )
    return "\n".join(lines) + "\n"
