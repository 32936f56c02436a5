"""VictoriaMetrics for the sink tests: the InfluxDB v2 write API on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from firewatch.embedded.victoria import VictoriaMetrics, VictoriaMetricsNotInstalled, binary


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    try:
        binary()
    except VictoriaMetricsNotInstalled as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide this: {exc}")
        pytest.skip(str(exc))
    server = VictoriaMetrics(tmp_path / "vm-data", tmp_path / "vm.log").start()
    try:
        yield server
    finally:
        server.stop()
