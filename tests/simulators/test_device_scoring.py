"""Per-device scoring of a dataset recording (issue #14.6), the baselines and the re-reporting."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.alerts import Alert, AlertKind, AlertStatus, Severity
from events.readings import SmokeReading
from firewatch.cli import main
from simulators import heat_baselines
from simulators.datasets import Emitter, ulfsri
from simulators.datasets.reporting import Reporting, resample
from simulators.device_scoring import (
    Trace,
    render_table,
    score_recording,
)
from simulators.recording import Header, Record, write_recording
from simulators.truth import Expectation, GroundTruth

START = datetime(2026, 1, 1, tzinfo=UTC)
ONSET_S = 100.0


def _recording() -> tuple[list[Record], GroundTruth]:
    """Three heat detectors: 'hot' reached by the fire, 'cold' never, 'twin' in hot's area."""
    out = Emitter("c1", "gw1", START)
    for i in range(100):
        t_s = i * 2.0
        fire_c = 20.0 + max(0.0, t_s - ONSET_S) * 2.0
        for device, area, temp_c in (
            ("hot", "a1", fire_c),
            ("cold", "a2", 20.0),
            ("twin", "a1", fire_c),
        ):
            out.emit(
                t_s,
                SmokeReading,
                device,
                area_id=area,
                obscuration_db_per_m=0.0,
                temperature_c=temp_c,
                battery_pct=90.0,
            )
    truth = GroundTruth(
        name="t",
        start_at=START,
        expect=(Expectation(kind=AlertKind.FIRE, onset_s=ONSET_S, deadline_s=60.0),),
    )
    return out.records, truth


def _alert(key: str, kind: AlertKind, t_s: float, *, device: str | None, area: str) -> Alert:
    at = START + timedelta(seconds=t_s)
    return Alert(
        condition_key=key,
        revision=1,
        kind=kind,
        severity=Severity.P1,
        status=AlertStatus.RAISED,
        compound_id="c1",
        area_id=area,
        device_id=device,
        onset_at=at,
        raised_at=at,
        summary="",
    )


def test_each_device_is_scored_reached_latency_and_false_alarms() -> None:
    records, truth = _recording()
    alerts = [
        _alert("k1", AlertKind.FIRE_PRE_ALARM, 40.0, device="cold", area="a2"),  # before onset
        _alert("k2", AlertKind.FIRE, 112.0, device="hot", area="a1"),
        _alert("k2", AlertKind.FIRE, 150.0, device="hot", area="a1"),  # a revision: same incident
        _alert("k3", AlertKind.FIRE, 118.0, device=None, area="a1"),  # the area: hot and twin
        _alert("k4", AlertKind.LOW_BATTERY, 10.0, device="cold", area="a2"),  # not fire family
    ]
    table = score_recording(records, truth, alerts)
    rows = {r.device_id: r for r in table.rows}
    assert (rows["hot"].is_reached, rows["hot"].latency_s) == (True, 12.0)
    assert (rows["twin"].is_reached, rows["twin"].latency_s) == (True, 18.0)
    assert (rows["cold"].is_reached, rows["cold"].latency_s, rows["cold"].false_alarms) == (
        False,
        None,
        1,
    )
    assert table.median_latency_s == 15.0
    assert table.false_alarms == 1
    assert not table.missed
    text = render_table(table)
    assert "detected 2/2 reached devices, median latency 15 s" in text
    assert "false alarms before the onset 1" in text


def test_a_reached_device_without_an_alarm_is_missed() -> None:
    records, truth = _recording()
    table = score_recording(
        records, truth, [_alert("k", AlertKind.FIRE, 112.0, device="hot", area="x")]
    )
    assert [r.device_id for r in table.missed] == ["twin"]
    assert "missed" in render_table(table)


def test_baselines_alarm_where_a_conventional_head_would() -> None:
    ramp = Trace("d", None, tuple((t, 20.0 + max(0.0, t - 100.0) * 0.5) for t in range(0, 300, 2)))
    fixed = heat_baselines.alarms(ramp, heat_baselines.BASELINES["fixed 57 C"])
    rate = heat_baselines.alarms(ramp, heat_baselines.BASELINES["rate of rise"])
    assert [a.t_s for a in fixed] == [174]  # 20 + 0.5 * 74 = 57 C: the first reading >= 57 C
    assert rate[0].t_s < 130  # 30 C/min is far above 8.3 C/min: within the 30 s window
    noisy = Trace(
        "n", None, tuple((float(t), 20.0 + (8.0 if t % 4 else 0.0)) for t in range(0, 100, 2))
    )
    assert len(heat_baselines.alarms(noisy, heat_baselines.BASELINES["rate of rise"])) > 5


def test_re_reporting_keeps_the_interval_jitter_bound_and_is_seeded() -> None:
    series = [(float(t), float(t)) for t in range(0, 1000, 2)]
    how = Reporting(10.0, jitter_frac=0.2, gap_frac=0.1, seed=4)
    out = resample(series, how, "room")
    assert out == resample(series, how, "room")  # deterministic for a seed
    assert out != resample(series, how, "other room")  # each stream its own phase and gaps
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(out)]
    assert min(gaps) >= 10.0 * 0.6 - 1e-9  # jitter moves a reading by at most 20 %
    assert max(gaps) > 20.0  # some readings were lost
    assert 60 < len(out) < 100  # ~100 slots, 10 % of them starting a gap of 1-5
    assert all(abs(v - t) < 1e-9 for t, v in out)  # values interpolated at the report time


def test_the_warm_up_plays_the_background_twice(datasets: Path) -> None:
    path = datasets / "ulfsri-residential-gasburner-2016/Two_Story/Gas_Burner_4.csv"
    plain, warm = ulfsri.convert(path), ulfsri.convert(path, warm_up=True)
    assert warm.truth.expect[0].onset_s == 2 * plain.truth.expect[0].onset_s
    assert len(warm.records) > len(plain.records)
    assert warm.truth.start_at < plain.truth.start_at


def _written(tmp_path: Path) -> tuple[Path, list[Record], GroundTruth]:
    records, truth = _recording()
    path = tmp_path / "rec.jsonl"
    write_recording(path, records, Header(source="test", ground_truth=truth))
    return path, records, truth


def test_eval_per_device_prints_the_table_and_fails_on_a_missed_room(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _records, _truth = _written(tmp_path)
    only_hot = [_alert("k", AlertKind.FIRE, 112.0, device="hot", area="x")]
    alerts = tmp_path / "a.jsonl"
    alerts.write_text("".join(a.model_dump_json() + "\n" for a in only_hot), encoding="utf-8")
    argv = ["eval", "--recording", str(path), "--alerts", str(alerts), "--per-device"]
    assert main(argv) == 1  # twin was reached and never alarmed
    out = capsys.readouterr().out
    assert "detected 1/2 reached devices, median latency 12 s" in out
    assert main([*argv, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["missed"], data["median_latency_s"], data["passed"]) == (["twin"], 12.0, False)
    assert {d["device_id"]: d["latency_s"] for d in data["devices"]} == {
        "cold": None,
        "hot": 12.0,
        "twin": None,
    }


def test_eval_per_device_scores_a_replay_rebased_to_another_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A replay moves readings and alerts to now; --start-at moves the truth, not the file."""
    path, _records, _truth = _written(tmp_path)
    later = timedelta(days=300)
    moved = [
        _alert("k2", AlertKind.FIRE, 112.0, device="hot", area="a1"),
        _alert("k3", AlertKind.FIRE, 118.0, device=None, area="a1"),
    ]
    moved = [a.model_copy(update={"raised_at": a.raised_at + later}) for a in moved]
    alerts = tmp_path / "a.jsonl"
    alerts.write_text("".join(a.model_dump_json() + "\n" for a in moved), encoding="utf-8")
    start = (START + later).isoformat()
    argv = ["eval", "--recording", str(path), "--alerts", str(alerts), "--per-device"]
    assert main([*argv, "--start-at", start, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["reached"], data["missed"], data["median_latency_s"]) == (2, [], 15.0)


def test_eval_per_device_in_process_on_a_real_fire_test(
    tmp_path: Path, datasets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The detectors run here on UL FSRI Gas Burner 5: every reached room detected, as the
    in-process scoring of docs/DETECTION.md says (the same function, from the command line)."""
    conv = ulfsri.convert(
        datasets / "ulfsri-residential-gasburner-2016/Two_Story/Gas_Burner_5.csv",
        start_at=START,
    )
    path = tmp_path / "gb5.jsonl"
    write_recording(path, conv.records, Header(source="gb5", ground_truth=conv.truth))
    argv = ["eval", "--recording", str(path), "--per-device", "--in-process", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reached"] >= 10
    assert data["missed"] == []
    assert data["false_alarms"] == 0
    assert main(["eval", "--recording", str(path), "--in-process"]) == 2  # needs --per-device


def test_detection_command_names_a_wrong_datasets_folder(tmp_path: Path) -> None:
    assert main(["detection", "--datasets", str(tmp_path)]) == 3
