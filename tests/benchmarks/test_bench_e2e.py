"""`firewatch bench e2e` in small: the fleet simulator through the embedded stack while 20 P1s
fire. Correctness only (issue #17): every P1 reached its station's terminal and a signed-in
member's console stream, once, as an incident of its own; the counts reconcile. Latency is the
benchmark's to report, never asserted here. The load comes from a process of its own: it must
report what it sent, and its failure must reach the benchmark rather than leave it waiting.
The raw floor (the same load through a relay with no Firewatch code) must bring every P1 to
its terminal once too, and a P1 the relay loses must show as missing, not as a faster floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.e2e import Plan, run
from benchmarks.e2e_load import bench_fleet, scaled_intervals, triggers
from benchmarks.e2e_loadproc import LoadJob, LoadProcess
from benchmarks.e2e_raw import run_raw
from events.connections import MqttConnection
from firewatch.embedded.process import free_port
from simulators.devices.base import Intervals

pytestmark = pytest.mark.integration

P1S = 20


def _reconciles(part: dict[str, Any], p1s: int) -> None:
    assert part["p1s"] == p1s
    assert part["missing_terminal"] == []
    assert part["missing_console"] == []
    assert part["terminal"]["measured"] == p1s
    assert part["console"]["measured"] == p1s
    assert part["places_with_more_than_one_incident"] == []
    assert part["terminal_duplicate_pages"] == 0
    assert part["console_duplicate_pages"] == 0
    assert part["unexpected_incidents_paged"] == []


def _reaches_the_terminal_once(part: dict[str, Any], p1s: int) -> None:
    """The raw floor's reconciliation: it has no console."""
    assert part["p1s"] == p1s
    assert part["missing_terminal"] == []
    assert part["terminal"]["measured"] == p1s
    assert part["places_with_more_than_one_incident"] == []
    assert part["terminal_duplicate_pages"] == 0
    assert part["unexpected_incidents_paged"] == []


def test_every_p1_reaches_the_terminal_and_the_console_once(tmp_path: Path) -> None:
    plan = Plan(p1s=P1S, rate=300.0, load_s=30.0, idle_s=0.0, load_nice=3, raw="after")
    result = run(plan, tmp_path)
    load = result["load"]
    assert load["p1s_fired"] == P1S
    assert load["telemetry_messages"] > 0
    assert load["load_nice"] == 3
    # /proc CPU of the load process, not of this one: it did the publishing
    assert load["bench_cpu_share_of_a_core"]["load_generator"] > 0
    assert set(load["cpu_share_of_a_core"]) >= {"ingest", "worker", "dispatch", "tansu"}
    _reconciles(result["under_load"], P1S)
    _reconciles(result["after_idle"], 1)
    raw = result["raw"]
    assert raw["phase"] == "after"
    assert raw["load"]["p1s_fired"] == P1S
    assert raw["load"]["telemetry_messages"] > 0
    assert set(raw["load"]["cpu_share_of_a_core"]) == {"mosquitto", "tansu", "relay"}
    _reaches_the_terminal_once(raw["under_load"], P1S)
    by_kind = raw["under_load"]["by_kind"]
    assert by_kind["fire"]["p1s"] + by_kind["thermal_runaway"]["p1s"] == P1S
    assert by_kind["thermal_runaway"]["p1s"] > 0  # the readings topic's path was exercised
    for kind in ("fire", "thermal_runaway"):
        _reaches_the_terminal_once(by_kind[kind], by_kind[kind]["p1s"])
    # every P1 stamped at every hop of the relay (a hop never stamped would drop out here)
    assert {h["measured"] for h in raw["under_load"]["hops"].values()} == {P1S}
    assert set(result["stack_over_raw"]) == {"all", "fire", "thermal_runaway"}
    assert raw["load_average_1m"].keys() == result["load_average_1m"].keys() == {"before", "after"}


def test_a_p1_the_raw_relay_loses_is_missing_not_measured(tmp_path: Path) -> None:
    fleet = bench_fleet(4)
    chosen = tuple(triggers(fleet)[:5])
    job = LoadJob(
        MqttConnection(), fleet, scaled_intervals(fleet, 100.0), chosen, 8.0, 0.0, 100.0, 1, 3
    )
    lost = chosen[3].place_key  # the first thermal runaway (three fires, then a runaway)
    assert chosen[3].kind == "thermal_runaway"
    # 15 s after the load for the others: they take milliseconds; the lost one never comes
    raw = run_raw(job, tmp_path, drop=frozenset({lost}), arrival_wait_s=15.0)["under_load"]
    assert raw["missing_terminal"] == [lost]
    assert raw["terminal"]["measured"] == 3
    with pytest.raises(AssertionError):
        _reaches_the_terminal_once(raw, 4)


async def test_a_failed_load_process_is_raised_not_waited_for() -> None:
    fleet = bench_fleet(1)
    nobody = MqttConnection(host="127.0.0.1", port=free_port())  # nothing listens there
    job = LoadJob(nobody, fleet, Intervals(), tuple(triggers(fleet)[:2]), 5.0, 0.0, 10.0, 1, 0)
    proc = LoadProcess(job, on_p1=lambda *_a: None)
    try:
        await proc.expect("ready", 60.0)
        proc.send("go")
        with pytest.raises(RuntimeError, match="ConnectionRefusedError"):
            await proc.expect("load", 60.0)
    finally:
        proc.close()
    assert not proc.process.is_alive()
