"""The embedded stack: brokers, then services, each a child process that dies with us.

Closed by default (docs/SECURITY.md): every listener on loopback unless `host` says otherwise;
Mosquitto refuses anonymous clients and enforces the ACL of firewatch/embedded/acl.py with
credentials generated per service and per gateway (firewatch/embedded/credentials.py); the
dispatch service signs its audit chain with a generated key.

Services are a list of specs (firewatch/embedded/services.py). A service counts as ready when
it touched its ready file, which each does only once it really serves (the bridge subscribed,
the worker's partitions and tables loaded, dispatch's consumer groups and MQTT session up); a
process that merely runs is not ready.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from events.connections import MqttConnection
from events.topics import Topics
from firewatch.embedded.credentials import (
    ACL_FILE,
    PASSWD_FILE,
    StackSecrets,
    load_or_create,
)
from firewatch.embedded.errors import StackError
from firewatch.embedded.mosquitto import (
    BrokerSecurity,
    MosquittoBroker,
    save_now,
    start_mosquitto,
)
from firewatch.embedded.process import ManagedProcess, free_port, python_service_env
from firewatch.embedded.readiness import check_kafka_cluster, check_mqtt_login
from firewatch.embedded.services import (
    CHECKPOINT_FILE,
    Endpoints,
    ServiceSpec,
    default_services,
    dispatch_env,
)
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.embedded.tls import load_or_create_tls
from firewatch.kafka_admin import ensure_topics

log = logging.getLogger(__name__)

__all__ = ["CHECKPOINT_FILE", "Endpoints", "ServiceSpec", "Stack", "default_services"]


class Stack:
    def __init__(  # noqa: PLR0917 - ports and parts, all optional
        self,
        work_dir: Path,
        mqtt_port: int | None = None,
        kafka_port: int | None = None,
        services: list[ServiceSpec] | None = None,
        host: str = "127.0.0.1",
        gateways: Iterable[tuple[str, str]] | None = None,
        terminals: Iterable[str] | None = None,
        rotate_credentials: bool = False,
        tls: bool = False,
    ) -> None:
        self.work_dir = work_dir
        self.log_dir = work_dir / "logs"
        self.mqtt_port = mqtt_port
        self.kafka_port = kafka_port
        self.host = host
        self.specs = default_services() if services is None else services
        self.gateways = list(gateways) if gateways is not None else _example_gateways()
        self.terminals = list(terminals) if terminals is not None else _example_terminals()
        self.rotate_credentials = rotate_credentials
        self.tls = tls  # MQTT on a TLS listener only, with a CA of the stack's own
        self.secrets: StackSecrets | None = None
        self.mosquitto: MosquittoBroker | None = None
        self.tansu: TansuBroker | None = None
        self.services: dict[str, ManagedProcess] = {}

    def start(self, timeout_s: float = 30.0) -> Endpoints:
        """Raises StackError (or PortInUse, TimeoutError) naming what is not right."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.secrets = load_or_create(
            self.work_dir, self.gateways, self.terminals, rotate=self.rotate_credentials
        )
        sid = self.secrets.stack_id
        self.tansu = start_tansu(
            self.kafka_port, self.log_dir / "tansu.log", host=self.host, cluster_id=f"fw-{sid}"
        )
        asyncio.run(self._kafka_ready(self.tansu))
        security = BrokerSecurity(self.secrets.path(PASSWD_FILE), self.secrets.path(ACL_FILE))
        tls = None
        if self.tls:
            rotate = self.rotate_credentials
            tls = load_or_create_tls(self.secrets.directory, self.host, rotate=rotate)
        self.mosquitto = start_mosquitto(
            self.work_dir / "mosquitto",
            self.mqtt_port,
            log_path=self.log_dir / "mosquitto.log",
            security=security,
            host=self.host,
            tls=tls,
        )
        endpoints = Endpoints(
            self.host,
            self.mosquitto.port,
            self.tansu.bootstrap,
            self.work_dir,
            free_port(self.host),
            sid,
            mqtt_ca_file=tls.ca_file if tls else None,
        )
        probe = MqttConnection(
            host=self.host, port=self.mosquitto.port, tls_ca_file=endpoints.mqtt_ca_file
        )
        check_mqtt_login(probe, self.secrets.services["probe"])
        for spec in self.specs:
            self._start_service(spec, endpoints, timeout_s)
            if spec.name == "ingest":
                save_now(self.mosquitto)  # the bridge's sessions on disk before devices come
        return endpoints

    async def _kafka_ready(self, tansu: TansuBroker) -> None:
        await check_kafka_cluster(tansu.bootstrap, tansu.cluster_id)
        await ensure_topics(tansu.bootstrap)

    def _env(self, spec: ServiceSpec, endpoints: Endpoints) -> dict[str, str]:
        env = python_service_env(spec.env)
        if spec.name == "dispatch":
            env |= dispatch_env(endpoints)
        if spec.mqtt_login is not None and self.secrets is not None:
            login = self.secrets.services[spec.mqtt_login]
            env |= {
                "FIREWATCH_MQTT__USERNAME": login.username,
                "FIREWATCH_MQTT__PASSWORD": login.password,
            }
            if endpoints.mqtt_ca_file is not None:
                env["FIREWATCH_MQTT__TLS_CA_FILE"] = str(endpoints.mqtt_ca_file)
        return env

    def _start_service(self, spec: ServiceSpec, endpoints: Endpoints, timeout_s: float) -> None:
        ready = self.work_dir / f"{spec.name}.ready"
        ready.unlink(missing_ok=True)  # a file left by an earlier run proves nothing
        argv = [
            sys.executable,
            "-m",
            "firewatch",
            *spec.argv(endpoints),
            "--ready-file",
            str(ready),
        ]
        log_path = self.log_dir / f"{spec.name}.log"
        proc = ManagedProcess(spec.name, argv, log_path, self._env(spec, endpoints)).start()
        self.services[spec.name] = proc
        deadline = time.monotonic() + timeout_s
        while not ready.exists():
            if not proc.is_running():
                raise StackError(f"{spec.name} exited before it was ready; see {log_path}")
            if time.monotonic() > deadline:
                raise StackError(f"{spec.name} not ready within {timeout_s:.0f} s; see {log_path}")
            time.sleep(0.05)
        log.info("%s ready (pid %s)", spec.name, proc.pid)

    def restart_service(
        self, spec: ServiceSpec, endpoints: Endpoints, timeout_s: float = 30.0
    ) -> None:
        """Start a service again after it died or was killed: same argv, same environment,
        ready again only once its ready file says so (the fault tests' restarts)."""
        old = self.services.get(spec.name)
        if old is not None:
            old.stop()  # reaps a killed child; stops one that still runs
        self._start_service(spec, endpoints, timeout_s)

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


def fleet_gateways(fleets: Iterable[Path | str]) -> list[tuple[str, str]]:
    """(compound, gateway) of every gateway of these fleet files (`example`: the shipped one)."""
    from simulators.fleet import load_fleet  # noqa: PLC0415 - only to name gateways

    found = [gw for fleet in fleets for gw in load_fleet(fleet).gateways]
    return list(dict.fromkeys(found))


def _example_gateways() -> list[tuple[str, str]]:
    return fleet_gateways(["example"])


def _example_terminals() -> list[str]:
    from alerts.registry import EXAMPLE_DIR  # noqa: PLC0415 - only when none were given
    from firewatch.embedded.acl import registry_terminals  # noqa: PLC0415 - only when terminals log in

    return registry_terminals(EXAMPLE_DIR)


def kafka_topic_names() -> dict[str, str]:
    return {
        "readings": Topics.READINGS,
        "priority": Topics.PRIORITY,
        "dead_letter": Topics.DEAD_LETTER,
        "sequence": Topics.SEQUENCE,
        "alerts": Topics.ALERTS,
        "commands": Topics.COMMANDS,
        "incidents": Topics.INCIDENTS,
        "audit": Topics.AUDIT,
    }
