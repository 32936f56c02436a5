"""The people commands from the command line: help with examples, QR codes on disk, the feed
schemas checked, statistics refused for a ledger that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from firewatch.cli import main

SUBCOMMANDS = [["community", n] for n in ("serve", "desk", "qr", "stats")] + [
    ["feeds", n] for n in ("run", "schema", "status")
]


@pytest.mark.parametrize("argv", [["community"], ["feeds"], *SUBCOMMANDS])
def test_every_people_command_has_examples(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--help"]) == 0
    assert "Examples:" in capsys.readouterr().out


def test_qr_codes_for_buildings_and_checkpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "qr"
    assert (
        main(["community", "qr", "--public-url", "https://fw.example.cn/", "--out", str(out)]) == 0
    )
    assert "files in" in capsys.readouterr().out
    sheet = (out / "index.html").read_text()
    assert "https://fw.example.cn/r/c001/b1" in sheet
    assert "https://fw.example.cn/p/c001-exits-b1-exit" in sheet
    svg = (out / "building-c001-b1.svg").read_text()
    assert svg.startswith("<?xml")
    assert "<svg" in svg


def test_the_feed_schemas_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "schema"]) == 0
    assert "up to date: 3" in capsys.readouterr().out


def test_stats_need_an_existing_ledger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/none.db"
    assert main(["community", "stats", "2026-01", "--database-url", url]) == 3
    assert "no ledger at" in capsys.readouterr().err
