"""`firewatch worker`: one Faust stream worker; start several to share the partitions."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, log_config

log = logging.getLogger("firewatch.worker")


@click.command(
    "worker",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch worker --bootstrap 127.0.0.1:9092 --flavour tansu\n"
    "  firewatch worker --app-id fw-streams --web-port 6067 --metrics-port 9102",
)
@click.option("--bootstrap", help="Kafka bootstrap host:port.")
@click.option("--flavour", type=click.Choice(["apache", "tansu"]))
@click.option("--app-id", help="Consumer group / app id.")
@click.option("--data-dir", help="Faust data directory.")
@click.option(
    "--web-port", type=int, default=0, help="Faust web port (0 = off; one per worker on a host)."
)
@click.option("--metrics-port", type=int, default=0, help="Prometheus port (0 = off).")
@click.option(
    "--ready-file",
    type=click.Path(path_type=Path),
    help="Touched once the worker owns partitions and its tables are recovered.",
)
@click.pass_context
def command(
    ctx: click.Context,
    *,
    bootstrap: str | None,
    flavour: str | None,
    app_id: str | None,
    data_dir: str | None,
    web_port: int,
    metrics_port: int,
    ready_file: Path | None,
) -> int:
    """Run a stream-detection worker (Faust; one consumer group)."""
    # Imported here: only this command pays for Faust's import time.
    from faust.worker import Worker

    from runtime.metrics_server import start_metrics_server
    from streams.app import build_app

    settings = (
        cli_of(ctx)
        .settings()
        .with_overrides(
            kafka={"bootstrap": bootstrap, "flavour": flavour},
            streams={"app_id": app_id, "data_dir": data_dir},
        )
    )
    log_config(settings, "kafka", "streams")
    built = build_app(
        settings.streams,
        settings.kafka,
        web_port=web_port or None,
        on_ready=ready_file.touch if ready_file else None,
    )
    # On all interfaces: Kubernetes probes reach /healthz from outside the pod.
    start_metrics_server(metrics_port, built.health)
    worker = Worker(built.app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()  # returns only by sys.exit on shutdown
    return 0
