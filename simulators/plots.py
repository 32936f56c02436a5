"""Pictures of a run: per device, the readings over time with the ground truth's onsets and
deadlines and the alerts raised, so a late or missing alarm is seen at a glance.

`figure()` returns a matplotlib Figure (no pyplot, no global state; PNG through the Agg
canvas) whose panels carry their device id as `ax.get_label()`, so tests can read them.
matplotlib is imported here only: nothing else in the package pays for it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulators.recording import Record
from simulators.truth import Expectation, GroundTruth

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from simulators.evaluation import ExpectationResult, RaisedCondition

MAX_PANELS = 16
# The value drawn per kind of reading: (left axis, right axis). Units are in the names.
SERIES: dict[str, tuple[str, str | None]] = {
    "smoke": ("temperature_c", "obscuration_db_per_m"),
    "charging_port": ("socket_temp_c", "current_a"),
    "door": ("is_open", None),
}


@dataclass
class DeviceSeries:
    device_id: str
    kind: str
    area_id: str | None
    compound_id: str
    t_s: list[float] = field(default_factory=list)
    left: list[float] = field(default_factory=list)
    right: list[float] = field(default_factory=list)


def series(records: Iterable[Record], t0: datetime) -> dict[str, DeviceSeries]:
    """Readings per device as seconds after `t0` (the ground truth's start), by observed_at."""
    out: dict[str, DeviceSeries] = {}
    for r in records:
        try:
            data = json.loads(r.payload)
            names = SERIES[data["kind"]]
            t_s = (datetime.fromisoformat(data["observed_at"]) - t0).total_seconds()
        except (ValueError, KeyError, TypeError):
            continue  # not a reading we draw (status, heartbeat, malformed): skipped
        dev = data.get("device_id", "?")
        s = out.get(dev) or out.setdefault(
            dev, DeviceSeries(dev, data["kind"], data.get("area_id"), data.get("compound_id", ""))
        )
        s.t_s.append(t_s)
        s.left.append(float(data.get(names[0], 0.0)))
        if names[1] is not None:
            s.right.append(float(data.get(names[1]) or 0.0))
    return out


def _applies(e: Expectation, s: DeviceSeries) -> bool:
    if e.device_id is not None:
        return e.device_id == s.device_id
    if e.area_id is not None:
        return s.area_id == e.area_id or s.device_id in e.area_devices
    return e.compound_id in (None, s.compound_id)


def _hit(i: RaisedCondition, s: DeviceSeries) -> bool:
    if i.device_id is not None:
        return i.device_id == s.device_id
    return i.area_id is not None and i.area_id == s.area_id


def panels(
    by_device: dict[str, DeviceSeries], truth: GroundTruth, conditions: Sequence[RaisedCondition]
) -> list[DeviceSeries]:
    """The devices worth a panel: those an expectation names (device or area) or an alert
    hit, else every device; at most MAX_PANELS, in a stable order."""
    named = [
        s
        for s in by_device.values()
        if any(_applies(e, s) and (e.device_id or e.area_id) for e in truth.expect)
        or any(_hit(i, s) for i in conditions)
    ]
    chosen = named or list(by_device.values())
    return sorted(chosen, key=lambda s: s.device_id)[:MAX_PANELS]


def figure(
    records: Iterable[Record],
    truth: GroundTruth,
    conditions: Sequence[RaisedCondition] = (),
    results: Sequence[ExpectationResult] = (),
    readings_t0: datetime | None = None,
) -> Figure:
    """One panel per device (see `panels`); x = seconds after the ground truth's t = 0.
    `readings_t0` is the t = 0 of the readings when they keep other dates than the alerts
    (a recording replayed with rebased time)."""
    from matplotlib.figure import Figure

    chosen = panels(series(records, readings_t0 or truth.start_at), truth, conditions)
    fig = Figure(figsize=(11, 1.2 + 2.2 * max(1, len(chosen))), layout="constrained")
    fig.suptitle(f"{truth.name}: readings, ground truth and alerts")
    if not chosen:
        fig.text(0.5, 0.5, "no readings to draw", ha="center")
        return fig
    axes = fig.subplots(len(chosen), 1, sharex=True, squeeze=False)[:, 0]
    outcomes = _outcomes(results)
    for ax, s in zip(axes, chosen, strict=True):
        _panel(ax, s, truth, [i for i in conditions if _hit(i, s)], outcomes)
    axes[-1].set_xlabel(f"seconds after t = 0 ({truth.start_at.isoformat()})")
    return fig


def _outcomes(results: Sequence[ExpectationResult]) -> dict[int, str]:
    """Outcome text by expectation index (evaluation keeps the ground truth's order)."""
    out: dict[int, str] = {}
    for k, r in enumerate(results):
        latency = f" {r.latency_s:+.1f} s" if r.latency_s is not None else ""
        out[k] = f"{r.outcome.value.upper()}{latency}"
    return out


def _panel(
    ax: Axes,
    s: DeviceSeries,
    truth: GroundTruth,
    hits: list[RaisedCondition],
    outcomes: dict[int, str],
) -> None:
    left, right = SERIES[s.kind]
    ax.set_label(s.device_id)
    ax.plot(s.t_s, s.left, color="tab:red", linewidth=1.2, label=left)
    ax.set_ylabel(left, color="tab:red", fontsize=8)
    if right is not None and s.right and max(s.right) > min(s.right):  # constant: no news
        twin = ax.twinx()
        twin.plot(s.t_s, s.right, color="tab:grey", linewidth=0.9, label=right)
        twin.set_ylabel(right, color="tab:grey", fontsize=8)
    notes = [
        _expectation(ax, e, outcomes.get(k, ""))
        for k, e in enumerate(truth.expect)
        if _applies(e, s)
    ]
    for i in hits:
        ax.axvline(i.t_s, color="tab:blue", linewidth=1.6, gid="alert")
        ax.annotate(
            i.kind.value,
            (i.t_s, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color="tab:blue",
            rotation=90,
            va="top",
            ha="right",
        )
    ax.set_title(f"{s.device_id} ({s.kind})  " + "  ".join(notes), fontsize=9, loc="left")


def _expectation(ax: Axes, e: Expectation, outcome: str) -> str:
    ax.axvline(e.onset_s, color="black", linestyle="--", linewidth=1.0, gid="onset")
    ax.axvspan(e.onset_s, e.onset_s + e.deadline_s, color="tab:green", alpha=0.15, gid="deadline")
    return f"expected {e.kind.value}: {outcome or 'not scored'}"


def save(fig: Figure, path: Path | str) -> Path:
    """Write the figure as PNG (Agg canvas) and return the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=90)
    return Path(path)


def summary(fig: Figure) -> dict[str, Any]:
    """What the picture shows, per panel: onsets, deadlines and alerts drawn."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for ax in fig.axes:
        label = str(ax.get_label())
        if not label or label.startswith("<"):
            continue  # twin axes (the right-hand scale) carry no device
        gids = [a.get_gid() for a in (*ax.lines, *ax.patches)]
        counts[label] = {g: gids.count(g) for g in ("onset", "deadline", "alert")}
    return dict(counts)
