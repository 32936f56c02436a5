"""Mosquitto with a configuration that never drops queued QoS1 messages, closed by default.

Mosquitto's default `max_queued_messages` is 1000 per client: beyond it, QoS1 messages for a
slow or absent subscriber are dropped after the publisher already had its PUBACK
(STACK-NOTES.md). The bridge's broker lifts that limit and persists sessions to disk.

With `BrokerSecurity` (what `firewatch up` always passes) the broker refuses anonymous
clients, checks the generated password file and the ACL of firewatch/embedded/acl.py, and
binds each session to its credential (`use_username_as_clientid`). Without it the broker is
open, for tests of other parts only; either way it listens on loopback unless told otherwise.
"""

from __future__ import annotations

import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from firewatch.embedded.process import ManagedProcess, ensure_port_free, free_port, wait_for_port


class MosquittoNotInstalled(RuntimeError):
    def __init__(self) -> None:
        super().__init__("mosquitto is missing: run `make setup` (apt-get install mosquitto)")


@dataclass(frozen=True)
class BrokerSecurity:
    password_file: Path
    acl_file: Path


@dataclass(frozen=True)
class BrokerTls:
    """The listener's certificate and key, and the CA that issued it (`firewatch up --tls`)."""

    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass
class MosquittoBroker:
    port: int
    process: ManagedProcess
    data_dir: Path
    host: str = "127.0.0.1"
    security: BrokerSecurity | None = None
    tls: BrokerTls | None = None


def render_config(
    port: int,
    data_dir: Path,
    security: BrokerSecurity | None = None,
    host: str = "127.0.0.1",
    tls: BrokerTls | None = None,
) -> str:
    # `listener PORT` without an address listens on every interface (STACK-NOTES.md).
    lines = [
        "per_listener_settings false",
        f"listener {port} {host}",
        "protocol mqtt",
        *_tls_lines(tls),
        # Queues are unbounded: the bridge applies back-pressure, Mosquitto must not drop.
        "max_queued_messages 0",
        "max_queued_bytes 0",
        # Enough QoS1 messages in flight per client to keep a fast subscriber busy.
        "max_inflight_messages 1000",
        "persistence true",
        f"persistence_location {data_dir}/",
        # Saved every second: a crash loses at most a second of queued messages (gap repair
        # asks the gateways for those) and, above all, the bridge's session survives one
        # second after it subscribed. Without it, devices that reconnected first were
        # acknowledged into a broker with nobody subscribed (issue 19: 5,055 lost).
        # `autosave_on_changes` counts every queued message as a change: saving after each
        # one cut Mosquitto from 14,479 to 1,256 msg/s here; one save a second of a 100k
        # backlog costs 0.06 s of CPU.
        "autosave_interval 1",
        "set_tcp_nodelay true",
        "log_type error",
        "log_type warning",
        "log_dest stderr",
    ]
    if os.geteuid() == 0:
        # Started as root, Mosquitto drops to the `mosquitto` user and then cannot write its
        # persistence file in our data dir ("Error: Permission denied" in its log), nor read
        # the 0600 password and ACL files or pass a 0700 folder above them (STACK-NOTES.md):
        # sessions, queued QoS1 messages and the credentials would be lost. Stay the owner.
        lines.append("user root")
    if security is None:
        lines.append("allow_anonymous true")
    else:
        lines += [
            "allow_anonymous false",
            f"password_file {security.password_file}",
            f"acl_file {security.acl_file}",
            # A session belongs to its credential: no client can take over another's by
            # connecting with its client id (MQTT v5 §3.1.3.1; eclipse-mosquitto#3553).
            "use_username_as_clientid true",
        ]
    return "\n".join(lines) + "\n"


def _tls_lines(tls: BrokerTls | None) -> list[str]:
    """The one listener speaks TLS only: there is no plain-text port beside it. Mosquitto's
    default versions (TLS 1.2 and 1.3) match the clients' minimum (runtime/mqtt.py)."""
    if tls is None:
        return []
    return [f"cafile {tls.ca_file}", f"certfile {tls.cert_file}", f"keyfile {tls.key_file}"]


def start_mosquitto(
    data_dir: Path,
    port: int | None = None,
    log_path: Path | None = None,
    timeout_s: float = 10.0,
    *,
    security: BrokerSecurity | None = None,
    host: str = "127.0.0.1",
    tls: BrokerTls | None = None,
) -> MosquittoBroker:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        raise MosquittoNotInstalled
    if port:
        ensure_port_free(host, port, "MQTT")
    port = port or free_port(host)
    data_dir.mkdir(parents=True, exist_ok=True)
    conf = data_dir / "mosquitto.conf"
    conf.write_text(render_config(port, data_dir, security, host, tls), encoding="utf-8")
    proc = ManagedProcess("mosquitto", [binary, "-c", str(conf)], log_path=log_path).start()
    try:
        assert proc.proc is not None
        wait_for_port(host, port, timeout_s, proc.proc)
    except BaseException:
        proc.stop()
        raise
    return MosquittoBroker(port, proc, data_dir, host, security, tls)


def save_now(broker: MosquittoBroker) -> None:
    """Have Mosquitto write its persistence file at once (SIGUSR1): the stack does it once
    the bridge subscribed, so its session survives even a crash in the next second."""
    broker.process.signal(signal.SIGUSR1)


def restart(broker: MosquittoBroker, timeout_s: float = 10.0) -> MosquittoBroker:
    """Stop and start on the same port and data dir: persisted sessions survive."""
    broker.process.stop()
    return start_mosquitto(
        broker.data_dir,
        broker.port,
        broker.process.log_path,
        timeout_s,
        security=broker.security,
        host=broker.host,
        tls=broker.tls,
    )
