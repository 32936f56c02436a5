"""`firewatch up`: the embedded stack on one machine; one JSON ready line on stdout.

SIGINT/SIGTERM stop every child (services first, then brokers); children also die with us
if we are killed (prctl PDEATHSIG in firewatch.embedded.process).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from events.topics import DEVICE_PUBLISH_PATTERN, MqttTopic, uplink_subscriptions
from firewatch.demo import run_demo
from firewatch.settings import Settings
from firewatch.stack import Stack, kafka_topic_names

log = logging.getLogger("firewatch.up")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("up", help="run the embedded stack")
    parser.add_argument("--mqtt-port", type=int, default=None, help="default: a free port")
    parser.add_argument("--kafka-port", type=int, default=None, help="default: a free port")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument("--demo", action="store_true", help="publish a small demo stream")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    log.info("effective config: %s", settings.masked_json())
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    work_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="firewatch-up-"))
    stack = Stack(work_dir, args.mqtt_port, args.kafka_port)
    try:
        endpoints = stack.start()
        print(json.dumps(_ready_line(stack, endpoints.mqtt_port, work_dir)), flush=True)
        if args.demo and not stop.is_set():
            run_demo(endpoints)
        while not stop.wait(0.5):
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


def _ready_line(stack: Stack, mqtt_port: int, work_dir: Path) -> dict[str, Any]:
    assert stack.tansu is not None
    return {
        "ready": True,
        "mqtt": f"mqtt://127.0.0.1:{mqtt_port}",
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
