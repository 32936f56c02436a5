"""The embedded stack: brokers, then services, each a child process that dies with us.

Services are a list of specs: adding the Faust worker, the dispatch service or the telemetry
sink is one `ServiceSpec` entry in `default_services()`. A service is ready when it touched
its ready file (services that take `--ready-file`), or as soon as it runs otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from events.topics import Topics
from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.kafka_admin import ensure_topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoints:
    mqtt_host: str
    mqtt_port: int
    kafka_bootstrap: str
    data_dir: Path
    console_port: int

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}/"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    # Arguments after `python -m firewatch`, given where the brokers are.
    argv: Callable[[Endpoints], list[str]]
    uses_ready_file: bool = True
    # Services without a ready file are ready when this port of theirs accepts connections.
    ready_port: Callable[[Endpoints], int] | None = None
    env: dict[str, str] = field(default_factory=dict)


def _ingest_argv(e: Endpoints) -> list[str]:
    return [
        "ingest",
        "--mqtt-host",
        e.mqtt_host,
        "--mqtt-port",
        str(e.mqtt_port),
        "--kafka-bootstrap",
        e.kafka_bootstrap,
        "--kafka-flavour",
        "tansu",
        "--bridge-id",
        "ingest-up",
    ]


def _worker_argv(e: Endpoints) -> list[str]:
    return ["worker", "--bootstrap", e.kafka_bootstrap, "--flavour", "tansu"]


def _dispatch_argv(e: Endpoints) -> list[str]:
    return [
        "dispatch",
        "--bootstrap",
        e.kafka_bootstrap,
        "--kafka-flavour",
        "tansu",
        "--mqtt-host",
        e.mqtt_host,
        "--mqtt-port",
        str(e.mqtt_port),
        "--console-port",
        str(e.console_port),
        "--database-url",
        f"sqlite:///{e.data_dir / 'ledger.db'}",
    ]


def default_services() -> list[ServiceSpec]:
    return [
        ServiceSpec("ingest", _ingest_argv),
        ServiceSpec("worker", _worker_argv),
        ServiceSpec(
            "dispatch",
            _dispatch_argv,
            uses_ready_file=False,
            ready_port=lambda e: e.console_port,
        ),
    ]


class Stack:
    def __init__(
        self,
        work_dir: Path,
        mqtt_port: int | None = None,
        kafka_port: int | None = None,
        services: list[ServiceSpec] | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.log_dir = work_dir / "logs"
        self.mqtt_port = mqtt_port
        self.kafka_port = kafka_port
        self.specs = default_services() if services is None else services
        self.mosquitto: MosquittoBroker | None = None
        self.tansu: TansuBroker | None = None
        self.services: dict[str, ManagedProcess] = {}

    def start(self, timeout_s: float = 30.0) -> Endpoints:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.tansu = start_tansu(self.kafka_port, log_path=self.log_dir / "tansu.log")
        asyncio.run(ensure_topics(self.tansu.bootstrap))
        self.mosquitto = start_mosquitto(
            self.work_dir / "mosquitto", self.mqtt_port, log_path=self.log_dir / "mosquitto.log"
        )
        endpoints = Endpoints(
            "127.0.0.1", self.mosquitto.port, self.tansu.bootstrap, self.work_dir, free_port()
        )
        for spec in self.specs:
            self._start_service(spec, endpoints, timeout_s)
        return endpoints

    def _start_service(self, spec: ServiceSpec, endpoints: Endpoints, timeout_s: float) -> None:
        argv = [sys.executable, "-m", "firewatch", *spec.argv(endpoints)]
        ready = self.work_dir / f"{spec.name}.ready"
        if spec.uses_ready_file:
            argv += ["--ready-file", str(ready)]
        proc = ManagedProcess(
            spec.name, argv, log_path=self.log_dir / f"{spec.name}.log", env=spec.env
        ).start()
        self.services[spec.name] = proc
        deadline = time.monotonic() + timeout_s
        if spec.ready_port is not None:
            assert proc.proc is not None
            wait_for_port("127.0.0.1", spec.ready_port(endpoints), timeout_s, proc.proc)
        while spec.uses_ready_file and not ready.exists():
            if not proc.is_running():
                raise RuntimeError(f"{spec.name} exited; see {self.log_dir / spec.name}.log")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{spec.name} not ready within {timeout_s} s")
            time.sleep(0.05)
        log.info("%s ready (pid %s)", spec.name, proc.pid)

    def dead(self) -> list[str]:
        """Names of children that stopped on their own."""
        procs = dict(self.services)
        if self.mosquitto is not None:
            procs["mosquitto"] = self.mosquitto.process
        if self.tansu is not None:
            procs["tansu"] = self.tansu.process
        return [name for name, proc in procs.items() if not proc.is_running()]

    def pids(self) -> list[int]:
        procs = [*self.services.values()]
        procs += [b.process for b in (self.mosquitto, self.tansu) if b is not None]
        return [p.pid for p in procs if p.proc is not None]

    def stop(self) -> None:
        # Services first (the bridge drains into Kafka), then MQTT, then Kafka.
        for name in reversed(list(self.services)):
            self.services[name].stop()
        if self.mosquitto is not None:
            self.mosquitto.process.stop()
        if self.tansu is not None:
            self.tansu.process.stop()


def kafka_topic_names() -> dict[str, str]:
    return {
        "readings": Topics.READINGS,
        "priority": Topics.PRIORITY,
        "dead_letter": Topics.DEAD_LETTER,
        "sequence": Topics.SEQUENCE,
        "alerts": Topics.ALERTS,
        "commands": Topics.COMMANDS,
        "incidents": Topics.INCIDENTS,
    }
