"""`firewatch worker`: one Faust stream worker; start several to share the partitions."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from firewatch.settings import Settings
from runtime.metrics_server import start_metrics_server

log = logging.getLogger("firewatch.worker")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run a stream-detection worker (Faust; one consumer group)"
    )
    parser.add_argument("--bootstrap", default=None, help="Kafka bootstrap host:port")
    parser.add_argument("--flavour", default=None, help="apache | tansu")
    parser.add_argument("--app-id", default=None, help="consumer group / app id")
    parser.add_argument("--data-dir", default=None, help="Faust data directory")
    parser.add_argument(
        "--web-port",
        type=int,
        default=0,
        help="Faust web port (0 = off; give each worker on one host its own port)",
    )
    parser.add_argument("--metrics-port", type=int, default=0, help="Prometheus port (0 = off)")
    parser.add_argument(
        "--ready-file",
        type=Path,
        default=None,
        help="touched once the worker owns partitions and its tables are recovered",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: only this command pays for Faust's import time.
    from faust.worker import Worker  # noqa: PLC0415

    from streams.app import build_app  # noqa: PLC0415

    settings = settings.with_overrides(
        kafka={"bootstrap": args.bootstrap, "flavour": args.flavour},
        streams={"app_id": args.app_id, "data_dir": args.data_dir},
    )
    log.info("effective config: %s", settings.masked_json())
    ready_file: Path | None = args.ready_file
    built = build_app(
        settings.streams,
        settings.kafka,
        web_port=args.web_port or None,
        on_ready=ready_file.touch if ready_file else None,
    )
    # On all interfaces: Kubernetes probes reach /healthz from outside the pod.
    start_metrics_server(args.metrics_port, built.health)
    worker = Worker(built.app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()  # returns only by sys.exit on shutdown
    return 0
