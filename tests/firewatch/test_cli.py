"""The command line as a user meets it (issue #14 item 2): one-line errors with the documented
exit codes, tracebacks only with --debug, read-only commands that never create a ledger, and a
`--help` that imports no Faust, Kafka client or pydantic."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

from events import schema_export
from firewatch.cli import COMMANDS, main
from firewatch.commands import bench
from firewatch.embedded.process import free_port
from simulators.recording import Record, write_recording


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # main() configures the root logger (handlers to stderr): put the test's back afterwards.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    return code, err[-1] if err else ""


def _recording(path: Path, n: int = 3000) -> Path:
    records = [Record(float(i), "fw/v1/c1/g1/d1/telemetry", b'{"seq":%d}' % i) for i in range(n)]
    write_recording(path, records, None)
    return path


def test_help_imports_neither_faust_nor_kafka_nor_pydantic() -> None:
    probe = (
        "import json, sys\n"
        "from firewatch.cli import main\n"
        "for argv in (['--help'], ['replay', '--help'], ['worker', '--help']):\n"
        "    assert main(argv) == 0\n"
        "heavy = ('faust', 'aiokafka', 'pydantic', 'matplotlib', 'rich', 'paho')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_version_and_examples_in_every_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "firewatch, version" in capsys.readouterr().out
    nested = [["audit", "verify"]] + [["bench", name] for name in bench.BENCHES]
    for argv in [[name] for name in COMMANDS] + nested:
        assert main([*argv, "--help"]) == 0
        assert "Examples:" in capsys.readouterr().out, argv


def test_a_missing_recording_is_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, last = _run(capsys, "replay", str(tmp_path / "nope.jsonl"))
    assert code == 3  # Exit.INPUT
    assert last == f"firewatch: {tmp_path / 'nope.jsonl'}: no such recording"


def test_a_truncated_recording_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = _recording(tmp_path / "whole.jsonl.gz").read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    code, last = _run(capsys, "replay", str(cut))
    assert code == 3
    assert last.startswith(f"firewatch: {cut}:")
    line = int(last.split(":")[2])
    assert 1 < line < 3000  # where the stream broke off
    assert "truncated" in last


def test_a_corrupt_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = tmp_path / "bad.jsonl"
    rec.write_text('{"t": 1, "topic": "a", "payload": "x"}\n{"t": 2, "topic": \n')
    code, last = _run(capsys, "replay", str(rec))
    assert code == 3
    assert last.startswith(f"firewatch: {rec}:2: invalid JSON")


def test_an_unknown_scenario_lists_the_valid_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, last = _run(capsys, "simulate", "--scenario", "flat_fir", "--out", str(tmp_path / "x"))
    assert code == 3
    assert "unknown scenario 'flat_fir'; valid names:" in last
    assert "flat_fire" in last
    assert "thermal_runaway" in last


def test_an_unreachable_broker_is_named_with_host_and_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _recording(tmp_path / "r.jsonl", 5)
    port = free_port()  # nothing listens there
    code, last = _run(capsys, "replay", str(rec), "--port", str(port), "--no-readback")
    assert code == 4  # Exit.UNREACHABLE
    assert f"MQTT broker at 127.0.0.1:{port} not reachable" in last


def test_a_bad_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, last = _run(capsys, "replay", "--sped", "3", "x.jsonl")
    assert code == 2  # Exit.USAGE
    assert "No such option: --sped" in last
    code, last = _run(capsys, "replay", "x.jsonl", "--speed", "fast")
    assert code == 2
    assert "'fast' is neither a number nor 'max'" in last


def test_tracebacks_only_with_debug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.jsonl")
    assert main(["replay", missing]) == 3
    assert "Traceback" not in capsys.readouterr().err
    assert main(["--debug", "replay", missing]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_bug_is_exit_70_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom() -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(schema_export, "stale", boom)
    code, last = _run(capsys, "schemas")
    assert code == 70  # Exit.INTERNAL
    assert (
        last == "firewatch: internal error: RuntimeError: boom (run with --debug for the traceback)"
    )


@pytest.mark.parametrize("argv", [["report"], ["audit", "verify"]], ids=["report", "audit"])
def test_read_only_commands_never_create_a_ledger(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "ledgr.db"
    code, last = _run(capsys, *argv, "--database-url", f"sqlite:///{typo}")
    assert code == 3
    assert f"no ledger at {typo}" in last
    assert not typo.exists()
    empty = tmp_path / "empty.db"
    empty.touch()  # a file that is not a ledger
    code, last = _run(capsys, *argv, "--database-url", f"sqlite:///{empty}")
    assert code == 3
    assert "is not a Firewatch ledger" in last


def test_bench_says_when_the_benchmarks_are_not_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "checkout_root", lambda: None)
    code, last = _run(capsys, "bench", "replay")
    assert code == 3
    assert "not installed with the package" in last
    assert "source checkout" in last


def test_benchmarks_are_not_in_the_wheel() -> None:
    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert any(fnmatch("firewatch.commands", pattern) for pattern in include)
    assert not any(fnmatch("benchmarks", pattern) for pattern in include)
    assert not (root / "firewatch" / "bench").exists()
    assert (root / "benchmarks" / "replay.py").is_file()
