"""`firewatch bench <target>`: benchmarks that print JSON (rates and ratios vs raw baselines)."""

from __future__ import annotations

import argparse
from typing import Any

from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("bench", help="run a benchmark")
    targets = parser.add_subparsers(dest="target", required=True, metavar="TARGET")
    ingest = targets.add_parser("ingest", help="MQTT -> Kafka bridge vs raw paho and aiokafka")
    ingest.add_argument("--messages", type=int, default=100_000)
    ingest.add_argument("--devices", type=int, default=1_000)
    ingest.set_defaults(func=_run_ingest)


def _run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from firewatch.bench import ingest  # noqa: PLC0415 - only the chosen benchmark loads

    return ingest.run(args, settings)
