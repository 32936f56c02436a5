"""`firewatch up`: the embedded stack on one machine; one JSON ready line on stdout.

Closed by default (docs/SECURITY.md): loopback only unless `--listen`, generated credentials
(named in the ready line, never printed), refuses ports in use with one line naming the port,
and says "ready" only once every part serves. SIGINT/SIGTERM stop every child (services
first, then brokers); children also die with us if we are killed (PDEATHSIG).

The Click wrapper only parses arguments; `run_up` holds the logic.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, log_config
from firewatch.embedded.errors import StackError
from firewatch.settings import Settings

if TYPE_CHECKING:  # the stack pulls in Kafka and MQTT clients: only when `up` runs
    from firewatch.stack import Endpoints, ServiceSpec, Stack

log = logging.getLogger("firewatch.up")

MEMORY_WARNING = (
    "firewatch up: warning: the embedded Kafka (Tansu) keeps every topic in memory only:"
    " readings, alerts and offsets are gone when the stack stops (the ledger, the audit"
    " checkpoints and the MQTT sessions stay in the data dir)"
)


@click.command(
    "up",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch up --demo   (then open the console_url of the ready line)\n"
    "  firewatch up --mqtt-port 1883 --kafka-port 9092 --data-dir /tmp/fw",
)
@click.option("--mqtt-port", type=click.IntRange(1, 65535), help="Default: a free port.")
@click.option("--kafka-port", type=click.IntRange(1, 65535), help="Default: a free port.")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Default: a temp dir.")
@click.option(
    "--listen",
    default="127.0.0.1",
    help="Address of this machine to serve on (default: loopback only).",
)
@click.option(
    "--fleet",
    "fleets",
    multiple=True,
    help="Fleet file whose gateways get MQTT logins (repeatable; default: example).",
)
@click.option(
    "--rotate-credentials",
    is_flag=True,
    help="New passwords for every MQTT login of --data-dir (usernames kept).",
)
@click.option(
    "--tls",
    is_flag=True,
    help="MQTT on a TLS listener only, with a CA of the stack's own (named in the ready line).",
)
@click.option("--demo", is_flag=True, help="Run the flat-fire scenario through it and score it.")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    mqtt_port: int | None,
    kafka_port: int | None,
    data_dir: Path | None,
    listen: str,
    fleets: tuple[str, ...],
    rotate_credentials: bool,
    tls: bool,
    demo: bool,
) -> int:
    """Run the embedded stack on this machine; one JSON ready line on stdout."""
    settings = cli_of(ctx).settings()
    options = UpOptions(
        mqtt_port,
        kafka_port,
        data_dir,
        listen,
        fleets or ("example",),
        demo,
        rotate_credentials,
        tls,
    )
    return run_up(options, settings)


@dataclass(frozen=True)
class UpOptions:
    mqtt_port: int | None = None
    kafka_port: int | None = None
    data_dir: Path | None = None
    listen: str = "127.0.0.1"
    fleets: tuple[str, ...] = ("example",)
    is_demo: bool = False
    rotate_credentials: bool = False
    is_tls: bool = False


def run_up(options: UpOptions, settings: Settings) -> int:
    """0 after a clean stop, 1 when a part died, 2 when the stack could not start."""
    problem = _check_listen(options.listen)
    if problem:
        print(f"firewatch up: {problem}", file=sys.stderr)
        return 2
    print(MEMORY_WARNING, file=sys.stderr, flush=True)
    from firewatch.embedded.tansu import available_mb, memory_bound_note

    print(f"firewatch up: warning: {memory_bound_note(available_mb())}", file=sys.stderr)
    log_config(settings, "kafka", "mqtt")
    # A plain flag, not a threading.Event: Event.set() from a signal handler can deadlock on
    # the Condition lock the interrupted Event.wait() holds (seen with two quick SIGTERMs).
    signals: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        signals.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    from firewatch.embedded.acl import registry_terminals
    from firewatch.stack import Stack, fleet_gateways

    work_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="firewatch-up-"))
    stack = Stack(
        work_dir,
        options.mqtt_port,
        options.kafka_port,
        services=_services(options.is_demo),
        host=options.listen,
        gateways=fleet_gateways(options.fleets),
        terminals=registry_terminals(settings.dispatch.registry_dir),
        rotate_credentials=options.rotate_credentials,
        tls=options.is_tls,
    )
    try:
        return _serve(stack, options, signals)
    except (StackError, TimeoutError) as exc:
        print(f"firewatch up: {exc}", file=sys.stderr)
        return 2
    finally:
        log.debug("stopping the stack")
        stack.stop()
        if options.data_dir is None:
            shutil.rmtree(work_dir, ignore_errors=True)


def _serve(stack: Stack, options: UpOptions, signals: list[int]) -> int:
    from firewatch.demo import run_demo

    endpoints = stack.start()
    print(json.dumps(ready_line(stack, endpoints)), flush=True)
    if options.is_demo and not signals:
        run_demo(endpoints)
    while not signals:
        time.sleep(0.2)
        dead = stack.dead()
        if dead:
            log.error("stopped on their own: %s; see %s", dead, stack.log_dir)
            return 1
    return 0


def _check_listen(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"--listen {address!r} is not an IP address of this machine"
    if ip.is_unspecified:
        # Kafka advertises the listener's address to its clients: it must be a real one.
        return f"--listen {address}: give one address of this machine, not every interface"
    return None


def _services(is_demo: bool) -> list[ServiceSpec]:
    from firewatch.stack import default_services

    specs = default_services()
    if not is_demo:
        return specs
    # The demo replays a recorded past as fast as possible: every device clock then looks
    # skewed against the bridge clock, so the worker's skew check is widened for it.
    skew = {"FIREWATCH_STREAMS__DETECTORS__HEALTH__CLOCK_SKEW_S": "100000"}
    return [
        dataclasses.replace(s, env={**s.env, **skew}) if s.name == "worker" else s for s in specs
    ]


def ready_line(stack: Stack, endpoints: Endpoints) -> dict[str, Any]:
    """What a user or a test needs to use the stack. Names the secret files, never a secret."""
    from events.topics import DEVICE_PUBLISH_PATTERN, MqttTopic, uplink_subscriptions
    from firewatch.embedded.credentials import ACL_FILE, PASSWD_FILE
    from firewatch.stack import kafka_topic_names

    e = endpoints
    assert stack.secrets is not None
    return {
        "ready": True,
        "stack_id": e.stack_id,
        "mqtt": e.mqtt_url,
        "console_url": e.console_url,
        "mqtt_host": e.mqtt_host,
        "mqtt_port": e.mqtt_port,
        "kafka_bootstrap": e.kafka_bootstrap,
        "kafka_storage": "memory: lost when the stack stops",
        "credentials": {
            "services": str(e.service_logins),
            "gateways": str(e.gateway_logins),
            "audit_key": str(e.audit_key_file),
            "mosquitto_password_file": str(stack.secrets.path(PASSWD_FILE)),
            "mosquitto_acl": str(stack.secrets.path(ACL_FILE)),
            **({"mqtt_ca": str(e.mqtt_ca_file)} if e.mqtt_ca_file else {}),
        },
        # `env $(...) firewatch simulate ...`: each simulated gateway logs in as itself.
        "simulator_env": _simulator_env(e),
        "audit_checkpoints": str(e.checkpoint_file),
        "mqtt_publish_pattern": DEVICE_PUBLISH_PATTERN,
        "mqtt_gateway_status": MqttTopic.gateway_status("{compound}", "{gateway}"),
        "mqtt_subscriptions": uplink_subscriptions(),
        "kafka_topics": kafka_topic_names(),
        "services": sorted(stack.services),
        "pids": stack.pids(),
        "logs": str(stack.log_dir),
        "data_dir": str(e.data_dir),
    }


def _simulator_env(e: Endpoints) -> dict[str, str]:
    env = {
        "FIREWATCH_MQTT__HOST": e.mqtt_host,
        "FIREWATCH_MQTT__PORT": str(e.mqtt_port),
        "FIREWATCH_MQTT__GATEWAY_CREDENTIALS": str(e.gateway_logins),
    }
    if e.mqtt_ca_file is not None:
        env["FIREWATCH_MQTT__TLS_CA_FILE"] = str(e.mqtt_ca_file)
    return env
