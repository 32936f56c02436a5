"""The e2e benchmark's reconciliation on recorded arrivals (pure): latencies per P1 from the
first page at either end, and every way a P1 can go wrong is counted, not hidden."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.e2e_report import hops, ratios, reconcile
from benchmarks.e2e_watch import FIRST_STEP, Arrivals

FIRE = "c001/building:eb1"
RUNAWAY = "c-north/area:c-north-eshed1"


@dataclass
class Watch:
    arrivals: Arrivals = field(default_factory=Arrivals)


def test_latency_is_from_publish_to_the_first_page_at_any_watcher() -> None:
    terminal, member_a, member_b = Watch(), Watch(), Watch()
    terminal.arrivals.note(f"{FIRE}@20261204T220000.000Z", FIRST_STEP, 100.050)
    member_a.arrivals.note(f"{FIRE}@20261204T220000.000Z", FIRST_STEP, 100.090)
    member_b.arrivals.note(f"{FIRE}@20261204T220000.000Z", FIRST_STEP, 100.070)
    member_b.arrivals.note(f"{FIRE}@20261204T220000.000Z", "p1-no-ack", 160.0)
    found = reconcile({FIRE: 100.0}, [terminal], [member_a, member_b], [FIRE])
    assert [round(ms) for ms in found["terminal_ms"]] == [50]
    assert [round(ms) for ms in found["console_ms"]] == [70]
    assert found["missing_terminal"] == found["missing_console"] == []
    assert found["escalation_pages_seen"] == 1


def test_missing_duplicate_split_and_stray_pages_are_each_counted() -> None:
    terminal, member = Watch(), Watch()
    for at in (1.1, 1.2):  # the same first-step page twice on one terminal
        terminal.arrivals.note(f"{FIRE}@20261204T220000.000Z", FIRST_STEP, at)
    member.arrivals.note(f"{FIRE}@20261204T220001.000Z", FIRST_STEP, 1.3)  # a second incident
    terminal.arrivals.note("c001/building:b9@20261204T220000.000Z", FIRST_STEP, 2.0)  # not ours
    found = reconcile({FIRE: 1.0, RUNAWAY: 1.0}, [terminal], [member], [FIRE, RUNAWAY])
    assert found["missing_terminal"] == found["missing_console"] == [RUNAWAY]
    assert found["terminal_duplicate_pages"] == 1
    assert found["console_duplicate_pages"] == 0
    assert found["places_with_more_than_one_incident"] == [FIRE]
    assert found["unexpected_incidents_paged"] == ["c001/building:b9"]


def test_each_p1s_time_is_split_by_hop_and_the_slowest_are_named() -> None:
    terminal = Watch()
    terminal.arrivals.note(f"{FIRE}@20261204T220000.000Z", FIRST_STEP, 10.300)
    terminal.arrivals.note(f"{RUNAWAY}@20261204T220000.000Z", FIRST_STEP, 20.900)
    sent = {FIRE: 10.0, RUNAWAY: 20.0}
    alarm = {FIRE: 10.050, RUNAWAY: 20.100}
    alert = {FIRE: 10.250}  # the runaway's alert was not seen: left out, not counted as 0
    found = hops([sent, alarm, alert], [terminal], [FIRE, RUNAWAY])
    assert {hop: [round(ms) for ms in v] for hop, v in found["ms"].items()} == {
        "device_to_alarm_on_kafka": [50],
        "alarm_to_alert_on_kafka": [200],
        "alert_to_terminal": [50],
    }
    alert[RUNAWAY] = 20.800
    found = hops([sent, alarm, alert], [terminal], [FIRE, RUNAWAY])
    assert [s["place"] for s in found["slowest"]] == [RUNAWAY, FIRE]
    assert found["slowest"][0]["alarm_to_alert_on_kafka"] == 700.0


def test_the_stack_is_read_against_the_raw_floor_per_percentile_and_kind() -> None:
    def part(p50: float, p99: float, high: float) -> dict[str, Any]:
        return {"terminal": {"p50_ms": p50, "p99_ms": p99, "max_ms": high}}

    stack = {**part(120, 430, 470), "by_kind": {"fire": part(96, 343, 400)}}
    raw = {**part(40, 215, 0), "by_kind": {"fire": part(32, 343, 200)}}
    assert ratios(stack, raw, ["fire"]) == {
        "all": {"p50": 3.0, "p99": 2.0, "max": None},  # no raw figure: no ratio, not infinity
        "fire": {"p50": 3.0, "p99": 1.0, "max": 2.0},
    }
