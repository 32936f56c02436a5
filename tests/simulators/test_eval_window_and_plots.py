"""Eval scores only the run's window (issue #14: "late 23836186.6s" from another run's alerts)
and draws the run: panels per device with onsets, deadlines and alerts (issue #14 item 5)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from events.alerts import Alert, AlertKind
from firewatch.cli import main
from simulators import evaluation, plots
from simulators.datasets import ulfsri
from simulators.recording import Record, emissions_to_records
from simulators.window import split
from tests.simulators.test_evaluation import FIRE, TRUTH, alert

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
AREA = "c001-b1-f3-u2"


def _write(path: Path, alerts: list[Alert]) -> Path:
    path.write_text("".join(a.model_dump_json() + "\n" for a in alerts), encoding="utf-8")
    return path


def _moved(a: Alert, days: float) -> Alert:
    shift = timedelta(days=days)
    return a.model_copy(update={"raised_at": a.raised_at + shift, "onset_at": a.onset_at + shift})


def test_alerts_of_another_run_are_outside_the_window_not_late() -> None:
    ours = alert(AlertKind.FIRE, 630, area=AREA)
    theirs = _moved(alert(AlertKind.FIRE, 630, area=AREA), days=276)
    inside, outside = split([ours, theirs], TRUTH)
    assert inside == [ours]
    assert outside == [theirs]
    late_but_ours = alert(AlertKind.FIRE, 600 + 60 + 900, area=AREA)  # 15 min past the deadline
    assert split([late_but_ours], TRUTH)[0] == [late_but_ours]


def test_eval_says_no_alerts_in_the_scenario_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = _write(tmp_path / "a.jsonl", [_moved(alert(AlertKind.FIRE, 630, area=AREA), 276)])
    assert main(["eval", "--scenario", "flat_fire", "--alerts", str(stray)]) == 1
    out = capsys.readouterr().out
    assert "no alerts in the scenario window" in out
    assert "1 outside it" in out
    assert "pass --start-at" in out
    assert "late" not in out  # no absurd latency
    assert main(["eval", "--scenario", "flat_fire", "--alerts", str(stray), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["alerts_outside_window"] == 1
    assert report["expectations"][0]["outcome"] == "missed"


def _scenario_records() -> list[Record]:
    sim = FIRE.build()
    emissions = list(sim.start()) + list(sim.run_until(FIRE.duration_s))
    return list(emissions_to_records(emissions, sim.start_at))


def test_the_figure_has_a_panel_per_device_of_the_fire_with_onset_deadline_and_alerts() -> None:
    alerts = [
        alert(AlertKind.FIRE, 700, device="c001-b1-f3-u2-smk", area=AREA),  # 40 s late
    ]
    report = evaluation.evaluate(TRUTH, alerts)
    incidents = evaluation.conditions(alerts, TRUTH)
    fig = plots.figure(_scenario_records(), TRUTH, incidents, report.expectations)
    shown = plots.summary(fig)
    area_devices = set(TRUTH.expect[0].area_devices)
    assert area_devices  # the flat's detectors
    assert set(shown) == area_devices | {"c001-b1-f3-u2-smk"}
    for device, marks in shown.items():
        assert marks["onset"] == 1, device
        assert marks["deadline"] == 1, device
    assert shown["c001-b1-f3-u2-smk"]["alert"] == 1
    titles = " ".join(ax.get_title(loc="left") for ax in fig.axes)
    assert "LATE +100.0 s" in titles


def test_eval_plot_and_plot_command_write_pngs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = _write(tmp_path / "a.jsonl", [alert(AlertKind.FIRE, 630, area=AREA)])
    png = tmp_path / "fire.png"
    argv = ["eval", "--scenario", "flat_fire", "--alerts", str(alerts), "--plot", str(png)]
    assert main(argv) == 0
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert f"plot: {png}" in capsys.readouterr().out
    rec = tmp_path / "run.jsonl.gz"
    assert main(["simulate", "--scenario", "flat_fire", "--out", str(rec), "--json"]) == 0
    assert main(["plot", str(rec), "--alerts", str(alerts)]) == 0
    out = tmp_path / "run.png"
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert "panels" in capsys.readouterr().out.splitlines()[-1]


def test_a_dataset_recording_is_drawn_room_by_room(datasets: Path, tmp_path: Path) -> None:
    conv = ulfsri.convert(datasets / "ulfsri-residential-gasburner-2016/Two_Story/Gas_Burner_4.csv")
    fig = plots.figure(conv.records, conv.truth)
    shown = plots.summary(fig)
    assert len(shown) == 14  # one panel per room (compound-level truth: every device)
    assert all(marks["onset"] == 1 for marks in shown.values())
    assert plots.save(fig, tmp_path / "gb4.png").read_bytes()[:8] == PNG_MAGIC
