"""`firewatch bench <target>`: benchmarks that print JSON with a raw baseline and ratios."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("bench", help="run a benchmark")
    targets = parser.add_subparsers(dest="bench_target", required=True, metavar="TARGET")
    dispatch = targets.add_parser(
        "dispatch", help="alert record -> notification delivered under a 1,000/s alert storm"
    )
    dispatch.add_argument("--incidents", type=int, default=200, help="new incidents measured")
    dispatch.add_argument("--storm-rate", type=float, default=1000.0, help="storm alerts/s")
    dispatch.add_argument("--seconds", type=float, default=10.0, help="storm duration")
    dispatch.set_defaults(func=run_dispatch)


def run_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from firewatch.bench.dispatch import run  # noqa: PLC0415 - brokers only when asked

    result = asyncio.run(run(args.incidents, args.storm_rate, args.seconds))
    print(json.dumps(result, indent=2))
    return 0
