"""Memory flat under a city slice (issue #17.4): `firewatch bench soak` for 3 minutes, the
fleet simulator at about 1,000 msg/s through the whole stack and the telemetry sink. Fails
when a process grows more than 10 % past its size after the warm-up, when the load was not
applied, or when the worker did not keep up with it. The 30-minute run is the benchmark's
(docs/PERFORMANCE.md); the verdict's rule is tested on its own in
tests/benchmarks/test_soak_verdict.py.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from benchmarks.soak import COMPOUNDS_PER_1000_MSG_S, soak
from benchmarks.soak_verdict import JUDGED, table
from tests.conftest import _unavailable

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RATE_MSG_S = 1000


def _require_brokers() -> None:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        _unavailable("mosquitto is not installed (make setup installs it)")
    if shutil.which("victoria-metrics") is None:
        _unavailable("victoria-metrics is not installed (make setup installs it)")


def test_a_city_slice_for_3_minutes_keeps_every_process_flat() -> None:
    _require_brokers()
    args = argparse.Namespace(
        minutes=3.0,
        every_s=10.0,
        compounds=COMPOUNDS_PER_1000_MSG_S,
        seed=1,
        baseline_s=300.0,
        # The baseline at 120 s: at 60 s the worker was still filling its devices' state
        # (136 -> 159 MB by 120 s, 164 at 180 s; 151 at minute 5 and 154 at minute 7 in a
        # 30-minute run), which is warm-up, not growth.
        warmup_frac=2 / 3,
        max_growth_pct=10.0,
        tansu_bytes_per_record=2048.0,
        out=None,
    )
    result = soak(args)
    judged = result["verdict"]
    report = table(result["samples"], judged)
    print(f"SOAK-RESULT\n{report}")
    assert judged["load_msg_s"] >= 0.9 * RATE_MSG_S, f"the load was not applied\n{report}"
    # Kept up: after the warm-up every group came back within 10 s of traffic at least once,
    # dispatch's read-back group too (at 64 KiB a fetch it fell behind for good in a 30-minute
    # soak, while dispatch's memory looked flat).
    # Not the last sample alone: the worker takes its readings in fetched batches, and with a
    # CPU hog beside it one sample read 18 s behind between samples 0 and 159 records behind.
    assert max(judged["lag_low_after_baseline"].values()) <= 10 * RATE_MSG_S, report
    assert set(judged["processes"]) == set(JUDGED)
    grown = [n for n, p in judged["processes"].items() if not p["is_flat"]]
    assert not grown, f"grew past {args.max_growth_pct} %: {grown}\n{report}"
