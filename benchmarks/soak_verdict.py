"""The soak's samples and its verdict: pure, so the rule is tested apart from the run.

A process passes when no sample after the baseline is more than `max_growth_pct` above its
size at the baseline (issue #17.4: "within 10 % of its size at minute 5"). Tansu keeps every
record in memory (memory storage, retention of days): it may grow by what it was given to
hold since the baseline, at most `tansu_bytes_per_record` a record, and 10 % beyond that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# The processes the verdict covers; VictoriaMetrics (a time-series store that grows with the
# data by design) and the simulator (the load, not the system) are recorded only.
JUDGED = ("ingest", "worker", "dispatch", "sink", "mosquitto", "tansu")
_MB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    at_s: float  # since the load started
    rss_mb: dict[str, float]  # process name -> resident memory
    lag: dict[str, int]  # consumer group -> records behind
    stored_records: int  # records the Kafka broker holds, every topic
    sent: int = 0  # published by the simulator
    bridged: int = 0  # written to Kafka by the bridge (telemetry lane)
    detected: int = 0  # readings the worker applied
    # Wall time minus the simulator's clock: a starved load generator stamps its readings
    # late, and past the worker's clock_skew_s (120 s) every device raises a clock-skew work
    # order that dispatch then holds: growth caused by the rig, not by the stack.
    load_behind_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def verdict(
    samples: list[Sample],
    *,
    baseline_at_s: float,
    max_growth_pct: float,
    tansu_bytes_per_record: float,
) -> dict[str, Any]:
    after = [s for s in samples if s.at_s >= baseline_at_s]
    if len(after) < 2:
        return {"is_flat": False, "why": f"fewer than 2 samples after {baseline_at_s:.0f} s"}
    base, later = after[0], after[1:]
    processes = {}
    for name in JUDGED:
        allowance = 0.0
        if name == "tansu":
            held = max(0, later[-1].stored_records - base.stored_records)
            allowance = held * tansu_bytes_per_record / _MB
        processes[name] = _judge(name, base, later, max_growth_pct, allowance)
    return {
        "is_flat": all(p["is_flat"] for p in processes.values()),
        "baseline_at_s": base.at_s,
        "max_growth_pct": max_growth_pct,
        "processes": processes,
        "load_msg_s": _rate(samples, "sent"),
        "bridged_msg_s": _rate(samples, "bridged"),
        "detected_msg_s": _rate(samples, "detected"),
        "lag_max_after_baseline": {g: max(s.lag.get(g, 0) for s in after) for g in base.lag},
        "lag_at_end": dict(later[-1].lag),
        "load_behind_max_s": max(s.load_behind_s for s in samples),
        # The lowest lag after the baseline: a group that keeps up comes back to it between
        # fetched batches, however far a single sample swings (a falling-behind one does not).
        "lag_low_after_baseline": {g: min(s.lag.get(g, 0) for s in after) for g in base.lag},
    }


def _judge(
    name: str, base: Sample, later: list[Sample], max_growth_pct: float, allowance_mb: float
) -> dict[str, Any]:
    start = base.rss_mb.get(name, 0.0)
    peak = max(s.rss_mb.get(name, 0.0) for s in later)
    limit = start * (1 + max_growth_pct / 100) + allowance_mb
    out: dict[str, Any] = {
        "baseline_mb": start,
        "peak_after_mb": peak,
        "end_mb": later[-1].rss_mb.get(name, 0.0),
        "growth_pct": round((peak - start) / start * 100, 1) if start else None,
        "limit_mb": round(limit, 1),
        "is_flat": start > 0 and peak <= limit,
    }
    if allowance_mb:
        held = later[-1].stored_records - base.stored_records
        out["records_held_since_baseline"] = held
        out["bytes_per_record_held"] = round((later[-1].rss_mb[name] - start) * _MB / held)
    return out


def _rate(samples: list[Sample], counter: str) -> float:
    first, last = samples[0], samples[-1]
    span = last.at_s - first.at_s
    return round((getattr(last, counter) - getattr(first, counter)) / span, 1) if span else 0.0


def table(rows: list[dict[str, Any]] | list[Sample], judged: dict[str, Any]) -> str:
    """Markdown: one row per sample (memory MB per process, lag per group), then the verdict."""
    samples = [r if isinstance(r, Sample) else Sample(**r) for r in rows]
    if not samples:
        return "no samples"
    names = list(samples[0].rss_mb)
    groups = list(samples[0].lag)
    head = ["t (s)", *names, *(f"lag {g.removeprefix('firewatch-')}" for g in groups)]
    head.append("load behind (s)")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in samples:
        cells = [f"{s.at_s:.0f}", *(f"{s.rss_mb.get(n, 0):.0f}" for n in names)]
        cells += [str(s.lag.get(g, 0)) for g in groups]
        cells.append(f"{s.load_behind_s:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for name, p in judged.get("processes", {}).items():
        mark = "flat" if p["is_flat"] else "GROWS"
        lines.append(
            f"{name}: {p['baseline_mb']:.0f} -> peak {p['peak_after_mb']:.0f} MB "
            f"(limit {p['limit_mb']:.0f}): {mark}"
        )
    lines.append(f"verdict: {'flat' if judged.get('is_flat') else 'NOT flat'}")
    return "\n".join(lines)
