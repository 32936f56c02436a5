"""Benchmarks, kept out of the wheel: `firewatch bench NAME` runs them from a source checkout.

Each module defines a Click `command` whose options reach its `run(args, settings)` as
attributes; results are JSON on stdout, progress (phases, ETA) on stderr at a terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import click

from firewatch.commands.common import cli_of, is_interactive
from firewatch.commands.console import run_phases
from firewatch.settings import Settings

Run = Callable[[argparse.Namespace, Settings], int]


def run_bench(ctx: click.Context, name: str, run: Run, opts: dict[str, Any]) -> int:
    settings = cli_of(ctx).settings()
    with run_phases(f"bench {name}", enabled=is_interactive()):
        return run(argparse.Namespace(**opts), settings)
