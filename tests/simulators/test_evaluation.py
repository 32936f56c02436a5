"""Eval against hand-made alert streams and incident updates: detected, late, missed,
duplicates, false, tolerated; incidents wrong, split, extra."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from events.alerts import Alert, AlertKind, AlertStatus, Severity, condition_key
from firewatch.cli import main
from simulators import scenarios
from simulators.evaluation import Outcome, evaluate, render_table, to_json

FIRE = scenarios.load_named("flat_fire")
TRUTH = FIRE.ground_truth()


def alert(
    kind: AlertKind,
    t_s: float,
    *,
    device: str | None = None,
    area: str | None = None,
    revision: int = 1,
    status: AlertStatus = AlertStatus.RAISED,
) -> Alert:
    at = TRUTH.start_at + timedelta(seconds=t_s)
    return Alert(
        condition_key=condition_key("c001", "b1", kind, device or area or "-"),
        revision=revision,
        kind=kind,
        severity=Severity.P1,
        status=status,
        compound_id="c001",
        building_id="b1",
        area_id=area,
        device_id=device,
        onset_at=at,
        raised_at=at,
        summary="test",
    )


def test_detected_with_latency_and_revisions_count_once() -> None:
    alerts = [
        alert(AlertKind.FIRE, 625, device="c001-b1-f3-u2-smk", area="c001-b1-f3-u2"),
        alert(AlertKind.FIRE, 640, device="c001-b1-f3-u2-smk", area="c001-b1-f3-u2", revision=2),
        alert(AlertKind.FIRE_PRE_ALARM, 615, area="c001-b1-f3-u2"),  # tolerated
    ]
    report = evaluate(TRUTH, alerts)
    assert report.passed
    assert report.expectations[0].outcome is Outcome.DETECTED
    assert report.expectations[0].latency_s == pytest.approx(25.0)
    assert report.tolerated == 1
    assert "PASS" in render_table(report)


def test_a_per_device_alert_matches_an_area_expectation() -> None:
    report = evaluate(TRUTH, [alert(AlertKind.FIRE, 630, device="c001-b1-f3-u2-smk")])
    assert report.expectations[0].outcome is Outcome.DETECTED


def test_late_missed_and_false_alerts_fail() -> None:
    late = evaluate(TRUTH, [alert(AlertKind.FIRE, 700, area="c001-b1-f3-u2")])
    assert late.expectations[0].outcome is Outcome.LATE
    assert not late.passed
    missed = evaluate(TRUTH, [alert(AlertKind.FIRE, 630, area="c001-b2-f1-u1")])
    assert missed.expectations[0].outcome is Outcome.MISSED
    assert [f.reason for f in missed.false_alerts] == ["not expected"]


def test_alerts_in_quiet_windows_are_false_even_when_tolerated() -> None:
    report = evaluate(
        TRUTH,
        [
            alert(AlertKind.FIRE_PRE_ALARM, 100, area="c001-b1-f3-u2"),
            alert(AlertKind.FIRE, 620, area="c001-b1-f3-u2"),
        ],
    )
    assert [f.reason for f in report.false_alerts] == ["in a quiet window"]
    assert not report.passed


def test_two_conditions_for_one_fire_exceed_max_conditions() -> None:
    report = evaluate(
        TRUTH,
        [
            alert(AlertKind.FIRE, 620, area="c001-b1-f3-u2"),
            alert(AlertKind.FIRE, 622, device="c001-b1-f3-u2-smk"),
        ],
    )
    assert report.expectations[0].outcome is Outcome.TOO_MANY


def test_cleared_revisions_are_ignored() -> None:
    cleared = alert(AlertKind.FIRE, 620, area="c001-b1-f3-u2", status=AlertStatus.CLEARED)
    assert evaluate(TRUTH, [cleared]).expectations[0].outcome is Outcome.MISSED


def _write(path: Path, alerts: list[Alert]) -> Path:
    path.write_text("".join(a.model_dump_json() + "\n" for a in alerts), encoding="utf-8")
    return path


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "good.jsonl", [alert(AlertKind.FIRE, 630, area="c001-b1-f3-u2")])
    assert main(["eval", "--scenario", "flat_fire", "--alerts", str(good), "--json"]) == 0
    assert '"passed": true' in capsys.readouterr().out
    bad = _write(tmp_path / "bad.jsonl", [])
    assert main(["eval", "--scenario", "flat_fire", "--alerts", str(bad)]) == 1
    assert "missed" in capsys.readouterr().out


def test_eval_from_a_recording_header(tmp_path: Path) -> None:
    rec = tmp_path / "run.jsonl"
    start = datetime(2026, 3, 1, 2, 0).isoformat() + "+00:00"
    assert (
        main(["simulate", "--scenario", "flat_fire", "--out", str(rec), "--start-at", start]) == 0
    )
    good = _write(tmp_path / "a.jsonl", [alert(AlertKind.FIRE, 610, area="c001-b1-f3-u2")])
    assert main(["eval", "--recording", str(rec), "--alerts", str(good)]) == 0
    assert to_json(evaluate(TRUTH, [])).count('"missed"') == 1


def test_a_gateway_alert_naming_only_the_gateway_matches() -> None:
    truth = scenarios.load_named("gateway_outage").ground_truth()
    at = truth.start_at + timedelta(seconds=420)
    gw = Alert(
        condition_key="c001/-/gateway_offline/c001-gw1",
        revision=1,
        kind=AlertKind.GATEWAY_OFFLINE,
        severity=Severity.P3,
        status=AlertStatus.RAISED,
        compound_id="c001",
        gateway_id="c001-gw1",
        onset_at=at,
        raised_at=at,
        summary="gateway offline",
    )
    report = evaluate(truth, [gw])
    assert report.expectations[0].outcome is Outcome.DETECTED
    assert report.expectations[0].latency_s == 120.0
