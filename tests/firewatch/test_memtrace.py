"""The soak's opt-in allocation trace names the line that keeps allocating (issue #17.4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from firewatch.embedded.memtrace import start_if_asked
from tests.polling import wait_until

# Keeps allocating 1 KiB buffers after the baseline snapshot, as a leak would.
_LEAKY = """
import time
from firewatch.embedded.memtrace import start_if_asked
assert start_if_asked()
held = []
while True:
    held.append(bytearray(1024))  # the leak
    time.sleep(0.001)
"""


def test_a_growing_allocation_site_is_reported_with_rss(tmp_path: Path) -> None:
    env = os.environ | {
        "FIREWATCH_MEMTRACE_S": "0.5",
        "FIREWATCH_MEMTRACE_FROM_S": "0.2",
        "FIREWATCH_MEMTRACE_DIR": str(tmp_path),
    }
    child = subprocess.Popen([sys.executable, "-c", _LEAKY], env=env)
    try:
        out = tmp_path / f"memtrace-{child.pid}.txt"
        wait_until(lambda: out.exists() and "<string>:7" in out.read_text(), timeout_s=60)
    finally:
        child.kill()
        child.wait()
    report = out.read_text()
    assert report.startswith("== "), report
    assert "rss" in report.splitlines()[0]
    leak = next(line for line in report.splitlines() if "<string>:7" in line)
    assert leak.split()[0].startswith("+"), leak  # grew, in KiB


def test_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIREWATCH_MEMTRACE_S", raising=False)
    assert start_if_asked() is False
