"""`firewatch bench e2e` in small: the fleet simulator through the embedded stack while 20 P1s
fire. Correctness only (issue #17): every P1 reached its station's terminal and a signed-in
member's console stream, once, as an incident of its own; the counts reconcile. Latency is the
benchmark's to report, never asserted here. The load comes from a process of its own: it must
report what it sent, and its failure must reach the benchmark rather than leave it waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.e2e import Plan, run
from benchmarks.e2e_load import bench_fleet, triggers
from benchmarks.e2e_loadproc import LoadJob, LoadProcess
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


def test_every_p1_reaches_the_terminal_and_the_console_once(tmp_path: Path) -> None:
    result = run(Plan(p1s=P1S, rate=300.0, load_s=30.0, idle_s=0.0, load_nice=3), tmp_path)
    load = result["load"]
    assert load["p1s_fired"] == P1S
    assert load["telemetry_messages"] > 0
    assert load["load_nice"] == 3
    # /proc CPU of the load process, not of this one: it did the publishing
    assert load["bench_cpu_share_of_a_core"]["load_generator"] > 0
    assert set(load["cpu_share_of_a_core"]) >= {"ingest", "worker", "dispatch", "tansu"}
    _reconciles(result["under_load"], P1S)
    _reconciles(result["after_idle"], 1)


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
