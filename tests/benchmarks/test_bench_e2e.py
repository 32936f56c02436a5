"""`firewatch bench e2e` in small: the fleet simulator through the embedded stack while 20 P1s
fire. Correctness only (issue #17): every P1 reached its station's terminal and a signed-in
member's console stream, once, as an incident of its own; the counts reconcile. Latency is the
benchmark's to report, never asserted here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.e2e import Plan, run

pytestmark = pytest.mark.integration

P1S = 20


def _reconciles(part: dict[str, Any], p1s: int) -> None:
    assert part["p1s"] == p1s
    assert part["missing_terminal"] == []
    assert part["missing_console"] == []
    assert part["terminal"]["measured"] == p1s
    assert part["console"]["measured"] == p1s
    assert part["places_with_more_than_one_incident"] == []
    assert part["terminal_duplicate_pages"] == 0
    assert part["console_duplicate_pages"] == 0
    assert part["unexpected_incidents_paged"] == []


def test_every_p1_reaches_the_terminal_and_the_console_once(tmp_path: Path) -> None:
    result = run(Plan(p1s=P1S, rate=300.0, load_s=30.0, idle_s=0.0), tmp_path)
    assert result["load"]["p1s_fired"] == P1S
    assert result["load"]["telemetry_messages"] > 0
    _reconciles(result["under_load"], P1S)
    _reconciles(result["after_idle"], 1)
