"""Dataset adapters against the shared data, and the calibration table against its sources."""

from __future__ import annotations

import json
from pathlib import Path

from events.alerts import AlertKind
from events.codec import decode_reading
from firewatch.cli import main
from simulators.calibrate import derive
from simulators.calibration import CALIBRATION_PATH
from simulators.datasets import smoke_iot, ulfsri
from simulators.recording import read_header, read_records


def test_ulfsri_rooms_become_heat_detectors_with_ignition_truth(datasets: Path) -> None:
    conv = ulfsri.convert(datasets / "ulfsri-residential-gasburner-2016/Two_Story/Gas_Burner_4.csv")
    devices = {json.loads(r.payload)["device_id"] for r in conv.records}
    assert len(devices) == 14  # one per room with a ceiling thermocouple
    (fire,) = conv.truth.expect
    assert fire.kind is AlertKind.FIRE
    assert fire.onset_s == 180.0  # the file starts at Time = -180
    family = [json.loads(r.payload) for r in conv.records if b"family-room" in r.payload]
    assert max(d["temperature_c"] for d in family) > 200
    decode_reading(conv.records[0].payload)


def test_smoke_iot_segment_becomes_a_recording_with_weak_truth(datasets: Path) -> None:
    conv = smoke_iot.convert(datasets / "smoke-iot/smoke_detection_iot.csv.zip", segment=4)
    assert len(conv.records) == 5744
    assert "WEAK" in conv.truth.notes
    obsc = [json.loads(r.payload)["obscuration_db_per_m"] for r in conv.records]
    assert max(obsc) == 30.0  # the PM2.5 excursion saturates the modelled chamber
    assert sorted(obsc)[len(obsc) // 2] < 0.05


def test_runaway_curve_becomes_a_port_stream(datasets: Path, tmp_path: Path) -> None:
    out = tmp_path / "arc.jsonl.gz"
    args = ["simulate", "--dataset", "runaway", "--source", str(datasets / "thermal-runaway-arc")]
    assert main([*args, "--out", str(out)]) == 0
    header = read_header(out)
    assert header is not None
    assert header.ground_truth is not None
    assert header.ground_truth.expect[0].kind is AlertKind.THERMAL_RUNAWAY
    temps = [json.loads(r.payload)["socket_temp_c"] for r in read_records(out)]
    assert temps[0] == 30.0
    assert max(temps) > 300


def test_calibration_table_is_derived_from_the_shared_data(datasets: Path) -> None:
    shipped = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    assert derive(datasets) == shipped
