"""`firewatch bench sink` runs end to end and reports rates and the ratios to its raw baselines.
(Numbers are not asserted: timing depends on the machine; only their presence and sense.)"""

from __future__ import annotations

import json
import statistics
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
            "3",
            "--batch-size",
            "200",
            "--raw-min-s",
            "0.2",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    result = json.loads(out)
    assert result["points"] == 600
    assert result["raw_min_s"] == 0.2
    rounds = result["per_round"]
    assert len(rounds) == 3
    for r in rounds:  # each ratio is of its own round, both raw loops measured in it
        assert min(r["sink"], r["raw"], r["raw_bodies"]) > 0
        assert r["ratio"] == pytest.approx(r["sink"] / r["raw"], rel=0.01, abs=0.002)
        assert r["ratio_bodies"] == pytest.approx(r["sink"] / r["raw_bodies"], rel=0.01, abs=0.002)
    assert result["sink_vs_raw_ratio"] == statistics.median(r["ratio"] for r in rounds)
    assert result["ratio_min"] <= result["sink_vs_raw_ratio"] <= result["ratio_max"]
    assert result["sink_points_per_s"] == statistics.median(r["sink"] for r in rounds)
    # CPU per point, of the sink's process and of the client loop: what moves least with the
    # neighbours. The embedded server's own is read from /proc during the sink's run.
    for r in rounds:
        assert r["sink_cpu_us"] > 0
        assert r["raw_cpu_us"] > 0
        assert r["server_cpu_us"] >= 0
    assert result["sink_cpu_us_per_point"] == statistics.median(r["sink_cpu_us"] for r in rounds)
    assert result["load_average"] >= 0
