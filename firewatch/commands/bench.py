"""`firewatch bench <target>`: benchmarks that print JSON (rates and ratios vs raw baselines)."""

from __future__ import annotations

import argparse
from typing import Any

from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("bench", help="run a benchmark")
    targets = parser.add_subparsers(dest="target", required=True, metavar="TARGET")
    streams = targets.add_parser(
        "streams", help="stream worker (all detectors) vs a raw aiokafka consume->produce loop"
    )
    streams.add_argument("--events", type=int, default=100_000)
    streams.add_argument("--devices", type=int, default=2_000)
    streams.add_argument(
        "--idle-s",
        type=float,
        default=600.0,
        help="idle before each first-alarm latency probe (10 min by default)",
    )
    streams.add_argument("--probes", type=int, default=20, help="latency probes after idle")
    streams.add_argument("--state-devices", type=int, default=100_000)
    streams.add_argument("--skip", default="", help="comma list of: throughput,latency,state")
    streams.set_defaults(func=_run_streams)


def _run_streams(args: argparse.Namespace, settings: Settings) -> int:
    import firewatch.bench.streams as bench  # noqa: PLC0415 - only the chosen benchmark loads

    return bench.run(args, settings)
