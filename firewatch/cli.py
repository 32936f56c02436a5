"""`firewatch`: one command line for every process of the system.

Each sub-command lives in `firewatch/commands/<name>.py` and exposes `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Sequence

from firewatch import logs
from firewatch.settings import Settings

log = logging.getLogger("firewatch")

# Modules under firewatch.commands, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "topics",
    "schemas",
    "ingest",
    "up",
    "simulate",
    "record",
    "replay",
    "eval",
    "sink",
    "worker",
    "dispatch",
    "report",
    "audit",
    "bench",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="firewatch",
        description="Fire and e-bike-charging safety for residential compounds.",
    )
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument("--log-json", action="store_true", help="structured JSON log lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"firewatch.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logs.configure(args.log_level or settings.log_level, args.log_json or settings.log_json)
    result: int = args.func(args, settings)
    return result
