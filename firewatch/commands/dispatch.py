"""`firewatch dispatch`: the dispatch service with its duty console."""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, log_config
from firewatch.commands.failures import UsageError

if TYPE_CHECKING:
    from alerts.service.runner import DispatchService
    from firewatch.settings import Settings

log = logging.getLogger("firewatch.dispatch")


@click.command(
    "dispatch",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n"
    "  firewatch dispatch --registry alerts/registry/example --console-port 8089\n"
    "  firewatch dispatch --check-registry --registry /etc/firewatch/registry\n"
    "  firewatch dispatch --hash-password < password.txt",
)
@click.option("--registry", type=click.Path(path_type=Path), help="Registry directory of YAML.")
@click.option("--database-url", help="sqlite:///PATH (default) or postgresql://...")
@click.option("--bootstrap", help="Kafka bootstrap servers.")
@click.option(
    "--kafka-flavour", type=click.Choice(["apache", "tansu"]), help="tansu = the embedded broker."
)
@click.option("--mqtt-host")
@click.option("--mqtt-port", type=click.IntRange(1, 65535))
@click.option("--console-port", type=int, help="0 = any free port.")
@click.option(
    "--metrics-port", type=int, default=0, help="/metrics, /healthz, /readyz port; 0 = off."
)
@click.option("--check-registry", is_flag=True, help="Validate the registry and exit.")
@click.option("--hash-password", is_flag=True, help="Print a password_scrypt for the registry.")
@click.option(
    "--ready-file",
    type=click.Path(path_type=Path),
    help="Touched once the Kafka groups and MQTT are connected.",
)
@click.pass_context
def command(
    ctx: click.Context,
    *,
    registry: Path | None,
    database_url: str | None,
    bootstrap: str | None,
    kafka_flavour: str | None,
    mqtt_host: str | None,
    mqtt_port: int | None,
    console_port: int | None,
    metrics_port: int,
    check_registry: bool,
    hash_password: bool,
    ready_file: Path | None,
) -> int:
    """Run the dispatch service and the duty console."""
    if hash_password:
        from alerts.console.passwords import hash_password as scrypt

        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
        print(scrypt(password.rstrip("\n")))
        return 0
    settings = (
        cli_of(ctx)
        .settings()
        .with_overrides(
            dispatch={
                "registry_dir": registry,
                "database_url": database_url,
                "console_port": console_port,
            },
            kafka={"bootstrap": bootstrap, "flavour": kafka_flavour},
            mqtt={"host": mqtt_host, "port": mqtt_port},
        )
    )
    log_config(settings, "mqtt", "kafka", "dispatch")
    from alerts.errors import DispatchError
    from alerts.registry import load_registry

    try:
        loaded = load_registry(settings.dispatch.registry_dir)
    except DispatchError as exc:
        raise UsageError(f"registry invalid: {exc}") from None
    if check_registry:
        counts = (len(loaded.stations), len(loaded.compounds), len(loaded.all_members()))
        print("registry ok: {} stations, {} compounds, {} members".format(*counts))
        return 0
    return asyncio.run(_serve(settings, metrics_port, ready_file))


async def _serve(settings: Settings, metrics_port: int, ready_file: Path | None = None) -> int:
    from alerts.service.factory import build_dispatch_service
    from events.topics import Topics
    from runtime.health_kafka import kafka_probe
    from runtime.metrics_server import start_metrics_server

    service = build_dispatch_service(settings.dispatch, settings.kafka, settings.mqtt)
    # /metrics, /healthz and /readyz on one port, on all interfaces: Kubernetes probes reach
    # /readyz from outside the pod, and it says which check fails (runtime.metrics_server).
    server = start_metrics_server(metrics_port, service.health, registry=service.metrics.registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # kafka.reachable: a frozen cluster leaves the groups' assignments as they were.
        async with kafka_probe(settings.kafka, service.health, Topics.ALERTS):
            await service.start()
            print(f"duty console: {service.console_url}", flush=True)
            if ready_file is not None:
                await _signal_ready(service, ready_file)
            await stop.wait()
    finally:
        await service.stop()
        if server is not None:
            server.stop()
    return 0


async def _signal_ready(service: DispatchService, ready_file: Path, timeout_s: float = 60) -> None:
    """Ready = what /readyz says: both consumer groups assigned, the MQTT session up (pages and
    commands can go out) and the ledger reachable, not merely "the process runs" (issue 14.3)."""
    await service.wait_ready(timeout_s)
    async with asyncio.timeout(timeout_s):
        # The checks are flags the service's loops set: poll them with the deadline above.
        while not service.readiness.is_ready:  # noqa: ASYNC110 - flags, no awaitable event
            await asyncio.sleep(0.05)
    await asyncio.to_thread(ready_file.write_text, "ready\n", encoding="utf-8")
