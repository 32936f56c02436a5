"""`firewatch bench <target>`: throughput measurements printed as JSON (rates and ratios
against a raw baseline measured in the same run). One sub-parser per target."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from firewatch.settings import Settings

# target -> module under firewatch.bench exposing `register(parser)` and `run(args, settings)`.
TARGETS: tuple[str, ...] = ("sink",)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("bench", help="run a benchmark")
    targets = parser.add_subparsers(dest="target", required=True, metavar="TARGET")
    for name in TARGETS:
        module = importlib.import_module(f"firewatch.bench.{name}")
        target: argparse.ArgumentParser = targets.add_parser(name, help=module.__doc__)
        module.register(target)
        target.set_defaults(func=module.run)


def run(args: argparse.Namespace, settings: Settings) -> int:  # pragma: no cover - dispatched
    result: int = args.func(args, settings)
    return result
