"""`firewatch dispatch`: the dispatch service with its duty console."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from prometheus_client import start_http_server

from alerts.config import DispatchConfig
from alerts.console.passwords import hash_password
from alerts.errors import DispatchError
from alerts.registry import load_registry
from alerts.service.runner import DispatchService
from firewatch.settings import Settings

log = logging.getLogger("firewatch.dispatch")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "dispatch", help="run the dispatch service and the duty console"
    )
    parser.add_argument("--registry", type=Path, help="registry directory of YAML files")
    parser.add_argument("--database-url", help="sqlite:///PATH (default) or postgresql://...")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers")
    parser.add_argument(
        "--kafka-flavour", choices=["apache", "tansu"], help="tansu = the embedded broker"
    )
    parser.add_argument("--mqtt-host")
    parser.add_argument("--mqtt-port", type=int)
    parser.add_argument("--console-port", type=int, help="0 = any free port")
    parser.add_argument("--metrics-port", type=int, default=0, help="Prometheus port, 0 = off")
    parser.add_argument("--check-registry", action="store_true", help="validate and exit")
    parser.add_argument(
        "--hash-password", action="store_true", help="print a password_scrypt for the registry"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="touched once Kafka groups and MQTT are connected"
    )
    parser.set_defaults(func=run)


def _settings(args: argparse.Namespace, settings: Settings) -> Settings:
    return settings.with_overrides(
        dispatch={"registry_dir": args.registry, "database_url": args.database_url,
                  "console_port": args.console_port},
        kafka={"bootstrap": args.bootstrap, "flavour": args.kafka_flavour},
        mqtt={"host": args.mqtt_host, "port": args.mqtt_port},
    )  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.hash_password:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
        print(hash_password(password.rstrip("\n")))
        return 0
    settings = _settings(args, settings)
    log.info("effective config: %s", settings.masked_json())
    try:
        registry = load_registry(settings.dispatch.registry_dir)
    except DispatchError as exc:
        print(f"registry invalid: {exc}", file=sys.stderr)
        return 2
    if args.check_registry:
        counts = (len(registry.stations), len(registry.compounds), len(registry.all_members()))
        print("registry ok: {} stations, {} compounds, {} members".format(*counts))
        return 0
    return asyncio.run(_serve(settings, args.metrics_port, args.ready_file))


async def _serve(settings: Settings, metrics_port: int, ready_file: Path | None = None) -> int:
    config: DispatchConfig = settings.dispatch
    service = DispatchService(config, settings.kafka, settings.mqtt)
    if metrics_port:
        start_http_server(metrics_port, registry=service.metrics.registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
        print(f"duty console: {service.console_url}", flush=True)
        if ready_file is not None:
            await _signal_ready(service, ready_file)
        await stop.wait()
    finally:
        await service.stop()
    return 0


async def _signal_ready(service: DispatchService, ready_file: Path, timeout_s: float = 60) -> None:
    """Ready = both consumer groups have partitions and the MQTT session is up (pages and
    commands can go out), not merely "the process runs" (issue 14.3)."""
    await service.wait_ready(timeout_s)
    async with asyncio.timeout(timeout_s):
        while not service.mqtt.is_connected:  # noqa: ASYNC110 - paho has no awaitable event
            await asyncio.sleep(0.05)
    await asyncio.to_thread(ready_file.write_text, "ready\n", encoding="utf-8")
