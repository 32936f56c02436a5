"""`firewatch bench <target>`: one sub-parser per benchmark module in firewatch/bench/."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

BENCHES: tuple[str, ...] = ("ingest", "replay", "sink", "streams", "dispatch")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("bench", help="benchmarks (JSON output)")
    targets = parser.add_subparsers(dest="bench", required=True, metavar="TARGET")
    for name in BENCHES:
        importlib.import_module(f"firewatch.bench.{name}").register(targets)
