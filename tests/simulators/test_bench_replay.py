"""`firewatch bench replay` runs end to end and reports rates and CPU per message that add up.
(Numbers are not asserted: timing depends on the machine; only their presence and sense.)"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_bench_replay_reports_median_spread_and_cpu_per_message() -> None:
    if shutil.which("mosquitto") is None and shutil.which("/usr/sbin/mosquitto") is None:
        pytest.skip("mosquitto is not installed: run `make setup`")
    argv = ["bench", "replay", "--messages", "3000", "--rounds", "3"]
    out = subprocess.run(
        [sys.executable, "-m", "firewatch", *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    result = json.loads(out)
    assert result["messages"] == 3000
    rates = [r["msg_s"] for r in result["per_round"]]
    assert len(rates) == 3
    assert result["replay_msg_s"] == round(statistics.median(rates))
    assert result["replay_msg_s_min"] <= result["replay_msg_s"] <= result["replay_msg_s_max"]
    assert all(r["cpu_us_per_msg"] > 0 for r in result["per_round"])
    assert result["broker_cpu_us_per_msg"] is not None  # the bench's own broker is measured
    assert result["ratio_vs_raw"] == pytest.approx(
        result["replay_msg_s"] / result["raw_paho_msg_s"], rel=0.01
    )
    assert result["meets_target"] == (result["replay_msg_s"] >= result["target_msg_s"])
