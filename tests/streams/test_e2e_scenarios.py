"""End to end: the simulator's scenarios through MQTT -> ingest -> Kafka -> worker -> dispatch,
scored by simulators.evaluation (what `firewatch eval` runs): the worker's alerts, and the
incidents dispatch made of them.

Replays run as fast as possible, so device times are far from the bridge clock: clock-skew
detection is off here (it would flag every device). Every alert must be one the scenario file
expects or tolerates; the incidents must be exactly those it lists (flat_fire: one P1 for
st-east with its exits; two_building_fire: two; thermal_runaway: one P1 with the power cut).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firewatch.demo import read_alerts, read_incidents
from firewatch.stack import Endpoints, Stack, default_services
from simulators import evaluation, runner, scenarios

pytestmark = pytest.mark.integration

SCENARIOS = ("cooking_smoke", "flat_fire", "thermal_runaway", "two_building_fire")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Stack, Endpoints]]:
    env = {
        "FIREWATCH_STREAMS__DETECTORS__HEALTH__CLOCK_SKEW_S": "100000",
        "FIREWATCH_STREAMS__DATA_DIR": str(tmp_path / "faust"),
    }
    specs = [dataclasses.replace(s, env={**s.env, **env}) for s in default_services()]
    st = Stack(tmp_path, services=specs)
    try:
        yield st, st.start(timeout_s=60)
    finally:
        st.stop()


@pytest.mark.parametrize("name", SCENARIOS)
async def test_scenario_expectations_met(stack: tuple[Stack, Endpoints], name: str) -> None:
    _, ends = stack
    scenario = scenarios.load_named(name)
    # Inside the bridge's accepted window (not older than 7 days, not in the future).
    start = datetime.now(tz=UTC) - timedelta(seconds=scenario.duration_s + 100)
    result = await runner.run_scenario(scenario, ends.gateway_connection(), start_at=start)
    truth = result.ground_truth
    assert truth is not None

    # Read until every expectation is met, incidents included: a worker and dispatch slowed by
    # a loaded machine may take longer than any fixed idle time (issue 19 saw one miss that
    # way). Then once more, at rest, for the false alerts and the extra incidents.
    deadline = time.monotonic() + 180
    while True:
        alerts = await read_alerts(ends.kafka_bootstrap, idle_s=2)
        incidents = await read_incidents(ends.kafka_bootstrap, idle_s=1)
        report = evaluation.evaluate(truth, alerts, incidents)
        if report.passed or time.monotonic() > deadline:
            break
    alerts = await read_alerts(ends.kafka_bootstrap, idle_s=8)
    incidents = await read_incidents(ends.kafka_bootstrap, idle_s=4)
    report = evaluation.evaluate(truth, alerts, incidents)
    missed = [r for r in report.expectations if r.outcome is not evaluation.Outcome.DETECTED]
    assert not missed, evaluation.render_table(report)
    assert not report.false_alerts, evaluation.render_table(report)
    assert report.incidents is not None
    assert report.incidents.passed, evaluation.render_table(report)
