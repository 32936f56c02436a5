"""What the embedded stack runs and where: the endpoints its parts find each other at, and one
`ServiceSpec` per service (adding the telemetry sink is one entry in `default_services()`).

Each service gets `--ready-file`, which it touches only once it really serves; services with
an MQTT login get it through the environment (never on the command line, where `ps` shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from events.connections import MqttConnection
from firewatch.embedded.credentials import AUDIT_KEY_FILE, GATEWAYS_FILE, SERVICES_FILE

CHECKPOINT_FILE = "audit-checkpoints.jsonl"


@dataclass(frozen=True)
class Endpoints:
    mqtt_host: str
    mqtt_port: int
    kafka_bootstrap: str
    data_dir: Path
    console_port: int
    stack_id: str = "local"
    # `firewatch up --tls`: the CA that issued the MQTT listener's certificate (TLS only then).
    mqtt_ca_file: Path | None = None

    @property
    def console_url(self) -> str:
        return f"http://{self.mqtt_host}:{self.console_port}/"

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    @property
    def gateway_logins(self) -> Path:
        return self.secrets_dir / GATEWAYS_FILE

    @property
    def service_logins(self) -> Path:
        return self.secrets_dir / SERVICES_FILE

    @property
    def audit_key_file(self) -> Path:
        return self.secrets_dir / AUDIT_KEY_FILE

    @property
    def checkpoint_file(self) -> Path:
        return self.data_dir / CHECKPOINT_FILE

    @property
    def bridge_id(self) -> str:
        """Also the bridge's MQTT username base: unique to this stack (issue 14.3)."""
        return f"fw-{self.stack_id}-ingest"

    def gateway_connection(self) -> MqttConnection:
        """How a simulator reaches this stack: each gateway logs in as itself."""
        return MqttConnection(
            host=self.mqtt_host,
            port=self.mqtt_port,
            gateway_credentials=self.gateway_logins,
            tls_ca_file=self.mqtt_ca_file,
        )

    @property
    def mqtt_url(self) -> str:
        scheme = "mqtts" if self.mqtt_ca_file is not None else "mqtt"
        return f"{scheme}://{self.mqtt_host}:{self.mqtt_port}"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    # Arguments after `python -m firewatch`, given where the brokers are.
    argv: Callable[[Endpoints], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    # Which generated MQTT login the service uses (a key of StackSecrets.services), if any.
    mqtt_login: str | None = None


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
        e.bridge_id,
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
        ServiceSpec("ingest", _ingest_argv, mqtt_login="ingest"),
        ServiceSpec("worker", _worker_argv),
        ServiceSpec("dispatch", _dispatch_argv, mqtt_login="dispatch"),
    ]


def dispatch_env(e: Endpoints) -> dict[str, str]:
    return {
        "FIREWATCH_DISPATCH__CONSOLE_HOST": e.mqtt_host,
        "FIREWATCH_DISPATCH__AUDIT_KEY_FILE": str(e.audit_key_file),
        "FIREWATCH_DISPATCH__AUDIT_CHECKPOINT_FILE": str(e.checkpoint_file),
    }
