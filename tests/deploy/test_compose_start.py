"""Every Firewatch service of the compose file starts with exactly the command and environment
it declares (issue #16 item 1) and becomes ready; a scenario then runs through them and every
metric a dashboard or alert rule queries is on some service's /metrics (issue #16 item 2).

Without a container engine, a service runs here "in its container" this way: its command is run
as written (`firewatch ...` is this checkout's command line); every path it names inside the
container is replaced by the host file its declared mounts provide (a path no mount provides
fails the test: that is the point); named volumes and tmpfs become fresh directories. What
changes is only what a container network would give: broker addresses and ports (Kafka = Tansu,
hence its flavour; MQTT = the compose file's own Mosquitto config on a loopback port; the
PostgreSQL and time-series servers) and the ports and addresses services listen on, because
five services cannot all bind 9100 on one host. The Mosquitto they connect to is the compose
service's: its config, password file, ACL and certificates, through its mounts.

Ready: every service's /readyz is 200 (its named checks: brokers connected, subscribed, group
joined, state recovered, ledger reachable, database writing) and dispatch serves the duty
console; every process stays alive; each bridge subscribed to its own compounds only.

The gateways of the example fleet get logins in the site's password file (a site adds its own
gateways the same way), so the flat fire scenario reaches the bridges as devices send it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from events.connections import MqttConnection
from firewatch.deploy_secrets import mosquitto_hash
from firewatch.embedded.acl import gateway_username
from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port
from firewatch.embedded.tansu import TansuBroker
from firewatch.embedded.victoria import VictoriaMetrics
from firewatch.stack import fleet_gateways
from ingest.registry import load_registry as load_id_file
from tests import postgres
from tests.deploy.compose import Service
from tests.deploy.conftest import Site
from tests.deploy.scrape import flat_fire_then_scrape, missing
from tests.polling import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_LISTEN_FLAGS = ("--metrics-port", "--console-port")


class HostPaths:
    """Container paths of one service -> host paths, through its declared mounts."""

    def __init__(self, site: Site, scratch: Path) -> None:
        self.site, self.scratch = site, scratch

    def __call__(self, service: Service, path: str) -> str:
        mount, rest = service.mount_for(path)
        if mount.kind == "bind":
            return str(self.site.deploy / mount.source / rest)
        # One directory per named volume (shared by the services that name it), per tmpfs.
        name = mount.source or f"tmpfs-{service.name}-{mount.target.name}"
        base = self.scratch / "volumes" / name
        base.mkdir(parents=True, exist_ok=True)
        return str(base / rest)


# --- the compose file's own Mosquitto ------------------------------------------------------


def _mosquitto_config(site: Site, paths: HostPaths, port: int) -> str:
    broker = site.compose.services["mosquitto"]
    conf_path = paths(broker, broker.command[broker.command.index("-c") + 1])
    lines = []
    for line in Path(conf_path).read_text().splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "listener":
            lines.append(f"listener {port} 127.0.0.1")  # the container's 8883, on loopback
        elif value.startswith("/") and not key.startswith("#"):
            slash = "/" if value.endswith("/") else ""  # persistence_location is a directory
            lines.append(f"{key} {paths(broker, value.strip())}{slash}")
        else:
            lines.append(line)
    if os.geteuid() == 0:
        # As root Mosquitto drops to its own user, which cannot read a pytest tmp dir (0700);
        # in the image, the entrypoint owns /mosquitto instead (firewatch/embedded/mosquitto.py).
        lines.append("user root")
    return "\n".join([*lines, "log_dest stderr", ""])


@pytest.fixture
def gateway_logins(site: Site, tmp_path: Path) -> Path:
    """One login per example gateway in the broker's password file; the simulator's file."""
    broker = site.compose.services["mosquitto"]
    passwd = Path(HostPaths(site, tmp_path)(broker, "/mosquitto/config/passwd"))
    logins = {}
    with passwd.open("a") as out:
        for compound, gateway in fleet_gateways(["example"]):
            username, password = gateway_username(compound, gateway), secrets.token_urlsafe(16)
            out.write(f"{username}:{mosquitto_hash(password)}\n")
            logins[username] = {"username": username, "password": password}
    path = tmp_path / "gateways.json"
    path.write_text(json.dumps(logins))
    return path


@pytest.fixture
def deploy_mosquitto(
    site: Site, tmp_path: Path, gateway_logins: Path
) -> Iterator[tuple[int, Path]]:
    binary_path = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary_path).exists():
        pytest.skip("mosquitto is not installed (make setup installs it)")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(_mosquitto_config(site, HostPaths(site, tmp_path), port))
    log = tmp_path / "mosquitto.log"
    with ManagedProcess("mosquitto", [binary_path, "-c", str(conf)], log_path=log) as proc:
        assert proc.proc is not None
        wait_for_port("127.0.0.1", port, 15, proc.proc)
        yield port, log


# --- the other servers ---------------------------------------------------------------------


@pytest.fixture
def ledger_server(site: Site) -> Iterator[str]:
    """A PostgreSQL with the compose file's user and database (any password: trust auth)."""
    reason = postgres.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    psycopg = pytest.importorskip("psycopg")
    url = urlsplit(
        site.compose.services["dispatch-1"].environment["FIREWATCH_DISPATCH__DATABASE_URL"]
    )
    with postgres.postgres_server() as admin, psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {url.username} LOGIN")
        conn.execute(f"CREATE DATABASE {url.path.lstrip('/')} OWNER {url.username}")
        yield admin


# --- running a service as declared ----------------------------------------------------------


@dataclass
class Running:
    service: Service
    process: ManagedProcess
    log: Path
    ports: dict[str, int]

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _replace_host(url: str, host_port: str) -> str:
    """The same URL (user, password, database) at another host:port."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host_port}" if userinfo else host_port))


@dataclass
class Brokers:
    kafka: str
    mqtt_port: int
    postgres: str  # host:port
    telemetry_url: str
    mosquitto_log: Path


@pytest.fixture
def brokers(
    kafka: TansuBroker,
    deploy_mosquitto: tuple[int, Path],
    ledger_server: str,
    victoria: VictoriaMetrics,
) -> Brokers:
    pg = urlsplit(ledger_server)
    mqtt_port, log = deploy_mosquitto
    return Brokers(kafka.bootstrap, mqtt_port, f"{pg.hostname}:{pg.port}", victoria.url, log)


def _environment(service: Service, paths: HostPaths, brokers: Brokers) -> dict[str, str]:
    env = {
        key: paths(service, value) if value.startswith("/") else value
        for key, value in service.environment.items()
    }
    replaced = {
        "FIREWATCH_KAFKA__BOOTSTRAP": brokers.kafka,
        "FIREWATCH_KAFKA__FLAVOUR": "tansu",  # the embedded broker has no idempotent producer
        "FIREWATCH_MQTT__HOST": "127.0.0.1",
        "FIREWATCH_MQTT__PORT": str(brokers.mqtt_port),
        "FIREWATCH_DISPATCH__CONSOLE_HOST": "127.0.0.1",  # 0.0.0.0 in a container, loopback here
        "FIREWATCH_SINK__URL": brokers.telemetry_url,
    }
    for key, value in replaced.items():
        if key in env:
            env[key] = value
    if "FIREWATCH_DISPATCH__DATABASE_URL" in env:
        url = env["FIREWATCH_DISPATCH__DATABASE_URL"]
        env["FIREWATCH_DISPATCH__DATABASE_URL"] = _replace_host(url, brokers.postgres)
    return env


def _argv(service: Service, paths: HostPaths) -> tuple[list[str], dict[str, int]]:
    argv, ports = [], {}
    for i, arg in enumerate(service.command[1:]):
        previous = service.command[i]
        if previous in _LISTEN_FLAGS:
            ports[previous] = free_port()
            argv.append(str(ports[previous]))
        else:
            argv.append(paths(service, arg) if arg.startswith("/") else arg)
    return [sys.executable, "-m", "firewatch", *argv], ports


def _start(service: Service, paths: HostPaths, brokers: Brokers, logs: Path) -> Running:
    argv, ports = _argv(service, paths)
    log = logs / f"{service.name}.log"
    process = ManagedProcess(service.name, argv, log, _environment(service, paths, brokers))
    return Running(service, process.start(), log, ports)


# --- what "ready" means per service --------------------------------------------------------


def _http_status(port: int, path: str) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except httpx.HTTPError:
        return None


def _log_messages(running: Running) -> list[str]:
    out = []
    for line in running.text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            out.append(line)
            continue
        is_record = isinstance(record, dict)
        out.append(str(record.get("message", record.get("msg", line))) if is_record else line)
    return out


def _is_ready(running: Running) -> bool:
    assert running.process.is_running(), f"{running.service.name} exited:\n{running.text()[-3000:]}"
    if _http_status(running.ports["--metrics-port"], "/readyz") != 200:
        return False
    console = running.ports.get("--console-port")
    return console is None or _http_status(console, "/") == 200


async def _every_queried_metric_is_exported(
    running: list[Running], site: Site, brokers: Brokers, gateway_logins: Path
) -> None:
    ca = site.deploy / "secrets" / "certs" / "ca.crt"
    conn = MqttConnection(
        port=brokers.mqtt_port, tls_ca_file=ca, gateway_credentials=gateway_logins
    )
    exported = await flat_fire_then_scrape(conn, [r.ports["--metrics-port"] for r in running])
    assert missing(exported) == {}, "dashboards or alert rules query what no service exports"


def _subscribed_compounds(running: Running) -> set[str]:
    line = next(m for m in _log_messages(running) if "bridge ready" in m)
    return set(re.findall(r"fw/v1/([^/+#']+)/", line))


async def test_every_service_starts_as_the_compose_file_declares_it(
    site: Site,
    brokers: Brokers,
    gateway_logins: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in [k for k in os.environ if k.startswith("FIREWATCH_")]:
        monkeypatch.delenv(key)  # only what the compose file declares
    paths = HostPaths(site, tmp_path)
    services = site.compose.firewatch_services()
    assert set(services) == {"ingest-1", "ingest-2", "worker", "dispatch-1", "dispatch-2", "sink"}
    running = [_start(s, paths, brokers, tmp_path) for s in services.values()]
    try:
        for each in running:
            await wait_for(partial(_is_ready, each), 120, what=f"{each.service.name} ready")
        for each in running:  # nobody fell over once the others came up
            assert each.process.is_running(), f"{each.service.name}:\n{each.text()[-3000:]}"
        for each in running:
            command = each.service.command
            if command[1] == "ingest":
                plan = Path(paths(each.service, command[command.index("--compounds-file") + 1]))
                assert _subscribed_compounds(each) == set(load_id_file(plan)), each.service.name
        # Unique ids: no bridge's session was taken over by another (issue #16: 1,473 takeovers
        # in 40 s when both bridges connected as ingest-1).
        assert "already connected" not in brokers.mosquitto_log.read_text(errors="replace")
        await _every_queried_metric_is_exported(running, site, brokers, gateway_logins)
    finally:
        for each in running:
            each.process.stop()
