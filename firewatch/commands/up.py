"""`firewatch up`: the embedded stack on one machine; one JSON ready line on stdout.

SIGINT/SIGTERM stop every child (services first, then brokers); children also die with us
if we are killed (prctl PDEATHSIG in firewatch.embedded.process).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from events.topics import DEVICE_PUBLISH_PATTERN, MqttTopic, uplink_subscriptions
from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, log_config
from firewatch.demo import run_demo
from firewatch.settings import Settings
from firewatch.stack import Endpoints, ServiceSpec, Stack, default_services, kafka_topic_names

log = logging.getLogger("firewatch.up")


@click.command(
    "up",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch up --demo\n"
    "  firewatch up --mqtt-port 1883 --kafka-port 9092 --data-dir /tmp/fw",
)
@click.option("--mqtt-port", type=click.IntRange(1, 65535), help="Default: a free port.")
@click.option("--kafka-port", type=click.IntRange(1, 65535), help="Default: a free port.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Default: a temp dir.")
@click.option("--demo", is_flag=True, help="Run the flat-fire scenario through it and score it.")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    mqtt_port: int | None,
    kafka_port: int | None,
    data_dir: Path | None,
    demo: bool,
) -> int:
    """Run the embedded stack on this machine; one JSON ready line on stdout."""
    # run() keeps its (args, settings) shape: only the wrapper changed with the move to Click.
    args = argparse.Namespace(
        mqtt_port=mqtt_port, kafka_port=kafka_port, data_dir=data_dir, demo=demo
    )
    return run(args, cli_of(ctx).settings())


def run(args: argparse.Namespace, settings: Settings) -> int:
    log_config(settings, "kafka", "mqtt")
    # A plain flag, not a threading.Event: Event.set() from a signal handler can deadlock on
    # the Condition lock the interrupted Event.wait() holds (seen with two quick SIGTERMs).
    signals: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    work_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="firewatch-up-"))
    stack = Stack(work_dir, args.mqtt_port, args.kafka_port, services=_services(args.demo))
    try:
        endpoints = stack.start()
        print(json.dumps(_ready_line(stack, endpoints, work_dir)), flush=True)
        if args.demo and not signals:
            run_demo(endpoints)
        while not signals:
            time.sleep(0.2)
            dead = stack.dead()
            if dead:
                log.error("stopped on their own: %s; see %s", dead, stack.log_dir)
                return 1
        return 0
    finally:
        log.info("stopping the stack")
        stack.stop()
        if args.data_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)


def _services(is_demo: bool) -> list[ServiceSpec]:
    specs = default_services()
    if not is_demo:
        return specs
    # The demo replays a recorded past as fast as possible: every device clock then looks
    # skewed against the bridge clock, so the worker's skew check is widened for it.
    skew = {"FIREWATCH_STREAMS__DETECTORS__HEALTH__CLOCK_SKEW_S": "100000"}
    return [
        dataclasses.replace(s, env={**s.env, **skew}) if s.name == "worker" else s for s in specs
    ]


def _ready_line(stack: Stack, endpoints: Endpoints, work_dir: Path) -> dict[str, Any]:
    mqtt_port = endpoints.mqtt_port
    assert stack.tansu is not None
    return {
        "ready": True,
        "mqtt": f"mqtt://127.0.0.1:{mqtt_port}",
        "console_url": endpoints.console_url,
        "mqtt_host": "127.0.0.1",
        "mqtt_port": mqtt_port,
        "kafka_bootstrap": stack.tansu.bootstrap,
        "mqtt_publish_pattern": DEVICE_PUBLISH_PATTERN,
        "mqtt_gateway_status": MqttTopic.gateway_status("{compound}", "{gateway}"),
        "mqtt_subscriptions": uplink_subscriptions(),
        "kafka_topics": kafka_topic_names(),
        "services": sorted(stack.services),
        "pids": stack.pids(),
        "logs": str(stack.log_dir),
        "data_dir": str(work_dir),
    }
