"""`firewatch bench sink` runs end to end and reports rates and the ratio to its raw baseline.
(Numbers are not asserted: timing depends on the machine; only their presence and sense.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from firewatch.embedded.victoria import VictoriaMetricsNotInstalled, binary

pytestmark = pytest.mark.integration


def test_bench_sink_prints_rates_and_ratio() -> None:
    try:
        binary()
    except VictoriaMetricsNotInstalled as exc:
        pytest.skip(str(exc))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "firewatch",
            "bench",
            "sink",
            "--points",
            "600",
            "--rounds",
            "1",
            "--batch-size",
            "200",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    result = json.loads(out)
    assert result["points"] == 600
    assert result["sink_points_per_s"] > 0
    assert result["raw_write_points_per_s"] > 0
    expected_ratio = result["sink_points_per_s"] / result["raw_write_points_per_s"]
    assert result["sink_vs_raw_ratio"] == pytest.approx(expected_ratio, rel=0.01, abs=0.002)
