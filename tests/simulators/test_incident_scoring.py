"""Incident scoring against hand-made incident updates: one incident per event, no extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from events.alerts import AlertKind
from events.incidents import TaskKind, TaskState
from firewatch.cli import main
from simulators import scenarios
from simulators.evaluation import evaluate
from simulators.incident_scoring import IncidentOutcome, score_incidents
from tests.simulators.updates import update

FIRE = scenarios.load_named("flat_fire").ground_truth()
EXITS = (
    (TaskKind.RELEASE_LOCKS, "c001-b1-exit1", TaskState.CONFIRMED),
    (TaskKind.RELEASE_LOCKS, "c001-b1-exit2", TaskState.SENT),
)
FLAT = [(AlertKind.FIRE_PRE_ALARM, 612.0), (AlertKind.FIRE, 625.0)]


def test_one_p1_with_its_tasks_is_detected_and_latency_counts_to_the_fire() -> None:
    report = score_incidents(FIRE, [update(FIRE, "building", "b1", FLAT, tasks=EXITS)])
    (result,) = report.results
    assert (result.outcome, result.latency_s) == (IncidentOutcome.DETECTED, 25.0)
    assert report.passed


def test_the_newest_update_of_an_incident_is_the_incident() -> None:
    early = update(FIRE, "building", "b1", FLAT[:1], seq=1)
    later = update(FIRE, "building", "b1", FLAT, tasks=EXITS, seq=5)
    later = later.model_copy(update={"incident_key": early.incident_key})
    assert score_incidents(FIRE, [later, early]).passed


def test_an_extra_incident_fails() -> None:
    corridor = update(FIRE, "building", "b2", [(AlertKind.FIRE, 640.0)])
    report = score_incidents(FIRE, [update(FIRE, "building", "b1", FLAT, tasks=EXITS), corridor])
    assert not report.passed
    assert [i.place for i in report.extra] == ["c001/building:b2"]


def test_wrong_station_missing_task_or_severity_is_wrong() -> None:
    west = update(FIRE, "building", "b1", FLAT, tasks=EXITS, station="st-west")
    assert score_incidents(FIRE, [west]).results[0].problems == (
        "dispatched to st-west, expected st-east",
    )
    no_tasks = score_incidents(FIRE, [update(FIRE, "building", "b1", FLAT)])
    assert no_tasks.results[0].outcome is IncidentOutcome.WRONG
    pre_only = score_incidents(FIRE, [update(FIRE, "building", "b1", FLAT[:1], tasks=EXITS)])
    assert "severity P2, expected P1" in pre_only.results[0].problems


def test_one_fire_split_into_two_incidents_is_too_many() -> None:
    first = update(FIRE, "building", "b1", FLAT, tasks=EXITS)
    second = update(FIRE, "building", "b1", [(AlertKind.FIRE, 700.0)], tasks=EXITS)
    result = score_incidents(FIRE, [first, second]).results[0]
    assert result.outcome is IncidentOutcome.TOO_MANY


def test_an_optional_pre_alarm_may_be_absent_but_never_a_fire() -> None:
    truth = scenarios.load_named("cooking_smoke").ground_truth()
    assert score_incidents(truth, []).passed
    fire = update(truth, "building", "b1", [(AlertKind.FIRE, 400.0)])
    assert not score_incidents(truth, [fire]).passed


def test_a_maintenance_scenario_has_no_incident_at_all() -> None:
    truth = scenarios.load_named("low_battery").ground_truth()
    assert score_incidents(truth, []).passed
    battery = update(truth, "device", "c001-b1-f6-u1-smk", [(AlertKind.DOOR_HELD_OPEN, 310.0)])
    assert not score_incidents(truth, [battery]).passed


def test_a_truth_without_incidents_scores_alerts_only() -> None:
    truth = FIRE.model_copy(update={"incidents": None})
    assert evaluate(truth, [], [update(FIRE, "building", "b9", FLAT)]).incidents is None


def test_cli_fails_on_an_extra_incident(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alerts = tmp_path / "alerts.jsonl"
    alerts.write_text("")
    incidents = tmp_path / "incidents.jsonl"
    extra = update(FIRE, "building", "b2", [(AlertKind.FIRE, 640.0)])
    incidents.write_text(extra.model_dump_json() + "\n")
    argv = ["eval", "--scenario", "flat_fire", "--alerts", str(alerts)]
    assert main([*argv, "--incidents", str(incidents)]) == 1
    out = capsys.readouterr().out
    assert "extra incidents: 1" in out
    assert "c001/building:b2" in out
