"""Progress for people: count, rate and ETA at a terminal; nothing at all otherwise."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from firewatch.commands.common import is_interactive
from firewatch.commands.console import Phases, Progress, phase, run_phases


def test_progress_shows_count_rate_and_eta_at_a_terminal() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=140)
    with Progress("replay run.jsonl", 4000, enabled=True, console=terminal) as bar:
        for done in range(1000, 4001, 1000):
            bar.update(done, done)
    shown = out.getvalue()
    assert "replay run.jsonl" in shown
    assert "4,000 msg" in shown
    assert "msg/s" in shown
    assert "ETA" in shown
    assert "100%" in shown


def test_progress_is_silent_when_disabled(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress("x", 10, enabled=False) as bar:
        bar.update(10, 10)
    with run_phases("bench x", enabled=False):
        phase("one", of=1)
    phase("outside any bench", of=1)  # a no-op, not an error
    assert capsys.readouterr() == ("", "")


def test_progress_only_for_a_person_at_a_terminal() -> None:
    # pytest captures stderr: not a terminal, so never interactive; --json and --quiet neither.
    assert not is_interactive()
    assert not is_interactive(as_json=True)
    assert not is_interactive(quiet=True)


def test_phases_show_the_phase_and_the_count_at_a_terminal() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=140)
    with Phases("bench replay", enabled=True, console=terminal) as phases:
        phases.step("raw paho loop", of=3)
        phases.step("replay, fast publisher", of=3)
    shown = out.getvalue()
    assert "bench replay: replay, fast publisher" in shown
    assert "/3 phases" in shown
