"""`firewatch bench all`'s table and JSON, rendered from recorded results (pure), and its help.
The numbers below are a recorded shape, not expectations of this machine."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from benchmarks.all_report import markdown, rows

RECORDED: dict[str, Any] = {
    "raw": {
        "mqtt_publish_receive_msg_s": 8000,
        "aiokafka_produce_msg_s": 20000,
        "aiokafka_consume_msg_s": 50000,
        "decode_validate_msg_s": 40000,
    },
    "ingest": {"rates_msg_per_s": {"bridge_end_to_end": 12000, "raw_paho_subscriber": 5000}},
    "replay": {"replay_msg_s": 45000, "raw_paho_msg_s": 15000},
    # The sink reports the median of its rounds' ratios: the table shows that one.
    "sink": {
        "sink_points_per_s": 30000,
        "raw_write_points_per_s": 75000,
        "sink_vs_raw_ratio": 0.36,
    },
    "streams": {"throughput": {"worker_events_per_s": 8000, "raw_aiokafka_events_per_s": 16000}},
    "dispatch": {"latency": {"p99_ms": 15.0}, "raw_baseline": {"p99_ms": 10.0}},
    "e2e": {
        "load": {"telemetry_msg_per_s": 2000},
        "under_load": {
            "terminal": {"p50_ms": 40.0, "p99_ms": 90.0, "max_ms": 120.0},
            "console": {"p50_ms": 41.0, "p99_ms": 91.0, "max_ms": 121.0},
        },
    },
}


def _by(measure: str, raw_limit: str = "") -> Any:
    found = [r for r in rows(RECORDED) if r.measure == measure and r.raw_limit == raw_limit]
    assert len(found) == 1, measure
    return found[0]


def test_each_stage_is_divided_by_its_raw_limit_of_the_same_run() -> None:
    assert _by("bridge MQTT -> Kafka", "raw paho subscriber").ratio == 2.4
    assert _by("bridge MQTT -> Kafka", "raw MQTT publish -> receive").ratio == 1.5
    assert _by("telemetry sink", "raw influxdb-client").ratio == 0.36
    assert _by("worker, every detector", "raw aiokafka consume -> produce").ratio == 0.5
    assert _by("worker, every detector", "raw decode + validation").ratio == 0.2
    assert _by("alert -> terminal page p99", "raw Kafka -> MQTT forwarder p99").ratio == 1.5
    assert _by("aiokafka consume").ratio is None  # a raw limit has nothing to divide by


def test_missing_results_leave_rows_out_rather_than_zeros() -> None:
    table = rows({"raw": RECORDED["raw"]})
    assert {r.stage for r in table} == {"raw"}
    after_idle = [r for r in rows(RECORDED) if "after idle" in r.measure]
    assert after_idle == []  # this recording has no idle P1


def test_markdown_has_one_line_per_row_with_rate_raw_and_ratio() -> None:
    table = rows(RECORDED)
    text = markdown(table)
    lines = text.strip().splitlines()
    assert len(lines) == 2 + len(table)
    assert "| replay | replay --speed max | 45,000 msg/s | raw paho loop | 15,000 | 3.00 |" in lines
    assert "| e2e | P1 publish -> terminal page p99 (under load) | 90.0 ms |  |  |  |" in lines
    assert json.loads(json.dumps([r.as_json() for r in table]))[0]["ratio"] is None


def test_the_terminal_latency_is_read_against_the_raw_relay_of_the_same_run() -> None:
    floor = {"terminal": {"p50_ms": 10.0, "p99_ms": 45.0, "max_ms": 60.0}}
    stack = {**RECORDED["e2e"]["under_load"], "by_kind": {"fire": floor}}
    e2e = {**RECORDED["e2e"], "under_load": stack, "raw": {"under_load": {"by_kind": {}, **floor}}}
    table = rows({"e2e": e2e})
    p99 = [r for r in table if r.measure == "P1 publish -> terminal page p99 (under load)"]
    assert [(r.raw_limit, r.raw_value, r.ratio) for r in p99] == [
        ("raw relay (same run)", 45.0, 2.0)
    ]
    console = [r for r in table if r.measure == "P1 publish -> console page p99 (under load)"]
    assert [(r.raw_limit, r.ratio) for r in console] == [("", None)]  # no raw console
    fires = [r for r in table if r.measure == "fires: P1 -> terminal page p99"]
    assert [(r.raw_value, r.ratio) for r in fires] == [(None, None)]  # no raw fires recorded


def test_the_command_explains_itself() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "firewatch", "bench", "all", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for option in ("--quick", "--json-out", "--md-out", "--skip"):
        assert option in done.stdout
