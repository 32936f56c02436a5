"""`firewatch bench all`'s table (pure): recorded benchmark results -> rows of rate, raw limit
and ratio, as markdown. Tested on recorded results (tests/benchmarks/test_bench_all.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    stage: str
    measure: str
    value: float | None
    unit: str
    raw_limit: str = ""
    raw_value: float | None = None
    # The benchmark's own ratio when it reports one (the median of its alternated rounds'
    # ratios, steadier on a shared machine than a ratio of the two medians).
    own_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.own_ratio is not None:
            return round(self.own_ratio, 3)
        if self.value is None or not self.raw_value:
            return None
        return round(self.value / self.raw_value, 3)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def _get(results: dict[str, Any], *path: str) -> float | None:
    """The number at `path` in the recorded results, or None (not run, failed, no path)."""
    at: Any = results
    for key in path:
        if not isinstance(at, dict) or key not in at:
            return None
        at = at[key]
    is_number = isinstance(at, int | float) and not isinstance(at, bool)
    return float(at) if path and is_number else None


# (stage, measure, unit, where the value is, raw limit's name, where the raw value is).
# "raw" paths are benchmarks/raw.py's limits; the others are each benchmark's own baseline.
_STAGES: tuple[tuple[str, str, str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    (
        "raw",
        "MQTT publish -> receive (paho, QoS 1)",
        "msg/s",
        ("raw", "mqtt_publish_receive_msg_s"),
        "",
        (),
    ),
    ("raw", "aiokafka produce", "msg/s", ("raw", "aiokafka_produce_msg_s"), "", ()),
    ("raw", "aiokafka consume", "msg/s", ("raw", "aiokafka_consume_msg_s"), "", ()),
    (
        "raw",
        "decode + validation (events.codec)",
        "msg/s",
        ("raw", "decode_validate_msg_s"),
        "",
        (),
    ),
    (
        "ingest",
        "bridge MQTT -> Kafka",
        "msg/s",
        ("ingest", "rates_msg_per_s", "bridge_end_to_end"),
        "raw paho subscriber",
        ("ingest", "rates_msg_per_s", "raw_paho_subscriber"),
    ),
    (
        "ingest",
        "bridge MQTT -> Kafka",
        "msg/s",
        ("ingest", "rates_msg_per_s", "bridge_end_to_end"),
        "raw MQTT publish -> receive",
        ("raw", "mqtt_publish_receive_msg_s"),
    ),
    (
        "replay",
        "replay --speed max",
        "msg/s",
        ("replay", "replay_msg_s"),
        "raw paho loop",
        ("replay", "raw_paho_msg_s"),
    ),
    (
        "sink",
        "telemetry sink",
        "points/s",
        ("sink", "sink_points_per_s"),
        "raw influxdb-client",
        ("sink", "raw_write_points_per_s"),
    ),
    (
        "streams",
        "worker, every detector",
        "events/s",
        ("streams", "throughput", "worker_events_per_s"),
        "raw aiokafka consume -> produce",
        ("streams", "throughput", "raw_aiokafka_events_per_s"),
    ),
    (
        "streams",
        "worker, every detector",
        "events/s",
        ("streams", "throughput", "worker_events_per_s"),
        "raw decode + validation",
        ("raw", "decode_validate_msg_s"),
    ),
    (
        "dispatch",
        "alert -> terminal page p99",
        "ms",
        ("dispatch", "latency", "p99_ms"),
        "raw Kafka -> MQTT forwarder p99",
        ("dispatch", "raw_baseline", "p99_ms"),
    ),
)


# Where a benchmark reports its own ratio against its own baseline (stage, raw limit's name).
_OWN_RATIOS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ingest", "raw paho subscriber"): ("ingest", "ratios", "bridge_vs_raw_paho"),
    ("replay", "raw paho loop"): ("replay", "ratio_vs_raw"),
    ("sink", "raw influxdb-client"): ("sink", "sink_vs_raw_ratio"),
    ("streams", "raw aiokafka consume -> produce"): (
        "streams",
        "throughput",
        "ratio_worker_vs_raw",
    ),
    ("dispatch", "raw Kafka -> MQTT forwarder p99"): ("dispatch", "ratio_p99"),
}


def _stage_rows(results: dict[str, Any]) -> list[Row]:
    return [
        Row(
            stage,
            measure,
            _get(results, *at),
            unit,
            raw_name,
            _get(results, *raw_at),
            _get(results, *_OWN_RATIOS.get((stage, raw_name), ())),
        )
        for stage, measure, unit, at, raw_name, raw_at in _STAGES
    ]


def _e2e_rows(e2e: dict[str, Any]) -> list[Row]:
    rows = [Row("e2e", "fleet telemetry sent", _get(e2e, "load", "telemetry_msg_per_s"), "msg/s")]
    ends = [("terminal", "terminal page"), ("console", "console page")]
    # Where the time goes under load: the device alarm on the priority topic (the bridge's
    # part), the alert on the alerts topic (the worker's after it).
    splits = [("alarm_on_kafka", "alarm on Kafka"), ("alert_on_kafka", "alert on Kafka")]
    for part, label in (("under_load", "under load"), ("after_idle", "after idle")):
        for end, name in ends + (splits if part == "under_load" else []):
            for stat in ("p50_ms", "p99_ms", "max_ms"):
                value = _get(e2e, part, end, stat)
                floor = _floor(e2e, (), end, stat) if part == "under_load" else {}
                rows.append(
                    Row("e2e", f"P1 publish -> {name} {stat[:-3]} ({label})", value, "ms", **floor)
                )
    for kind, name in (("fire", "fires"), ("thermal_runaway", "thermal runaways")):
        for stat in ("p50_ms", "p99_ms", "max_ms"):
            value = _get(e2e, "under_load", "by_kind", kind, "terminal", stat)
            floor = _floor(e2e, ("by_kind", kind), "terminal", stat)
            rows.append(
                Row("e2e", f"{name}: P1 -> terminal page {stat[:-3]}", value, "ms", **floor)
            )
    return rows


def _floor(e2e: dict[str, Any], within: tuple[str, ...], end: str, stat: str) -> dict[str, Any]:
    """The raw relay's figure of the same run beside the terminal's (benchmarks/e2e_raw.py);
    the console has no raw counterpart."""
    if end != "terminal" or "raw" not in e2e:
        return {}
    raw = _get(e2e, "raw", "under_load", *within, end, stat)
    return {"raw_limit": "raw relay (same run)", "raw_value": raw}


def rows(results: dict[str, Any]) -> list[Row]:
    """Every row the recorded `results` (bench name -> its JSON, plus "raw") can fill."""
    out = _stage_rows(results)
    out += _e2e_rows(results.get("e2e", {}))
    return [row for row in out if row.value is not None]


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def markdown(table: list[Row]) -> str:
    lines = [
        "| stage | measure | value | raw limit (same run) | raw | ratio |",
        "|---|---|---:|---|---:|---:|",
    ]
    for row in table:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        lines.append(
            f"| {row.stage} | {row.measure} | {_number(row.value)} {row.unit} | "
            f"{row.raw_limit} | {_number(row.raw_value)} | {ratio} |"
        )
    return "\n".join(lines) + "\n"
