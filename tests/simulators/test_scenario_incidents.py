"""Every shipped scenario, through the pure cores in simulated time (tests/simulators/pipeline):
the incidents dispatch makes of it are exactly the ones its ground truth lists."""

from __future__ import annotations

import pytest

from events.incidents import TaskKind, TaskState
from simulators import scenarios
from simulators.incident_scoring import IncidentOutcome, render_incidents, score_incidents
from tests.simulators.pipeline import run_offline_pipeline

NAMES = [p.stem for p in scenarios.shipped()]


def test_every_scenario_declares_its_incidents() -> None:
    for name in NAMES:
        assert scenarios.load_named(name).incidents is not None, name


@pytest.mark.parametrize("name", NAMES)
def test_the_incidents_are_those_a_person_should_see(name: str) -> None:
    run = run_offline_pipeline(name)
    report = score_incidents(run.truth, run.updates)
    assert report.passed, "\n".join(render_incidents(report))


def test_flat_fire_is_one_p1_for_st_east_with_its_exits_released() -> None:
    run = run_offline_pipeline("flat_fire")
    report = score_incidents(run.truth, run.updates)
    (result,) = report.results
    assert result.outcome is IncidentOutcome.DETECTED
    (seen,) = report.seen
    assert (seen.severity.value, seen.station_id) == ("P1", "st-east")
    # The simulated exits obey the release command and report it: confirmed by read-back.
    exits = [t for t in seen.tasks if t.startswith("release_locks")]
    assert exits == [
        "release_locks:c001-b1-exit1=confirmed",
        "release_locks:c001-b1-exit2=confirmed",
    ]


def test_a_welded_relay_fails_the_power_cut_task_of_the_runaway() -> None:
    run = run_offline_pipeline("stuck_relay")
    final = {u.incident_key: u for u in run.updates}
    (incident,) = final.values()
    cut = [t for t in incident.tasks if t.kind is TaskKind.CUT_POWER]
    assert {(t.device_id, t.state) for t in cut} >= {("c001-cs1-p06", TaskState.FAILED)}
