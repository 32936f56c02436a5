"""Mosquitto with a configuration that never drops queued QoS1 messages.

Mosquitto's default `max_queued_messages` is 1000 per client: beyond it, QoS1 messages for a
slow or absent subscriber are dropped after the publisher already had its PUBACK
(STACK-NOTES.md). The bridge's broker lifts that limit and persists sessions to disk.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port


class MosquittoNotInstalled(RuntimeError):
    def __init__(self) -> None:
        super().__init__("mosquitto is missing: run `make setup` (apt-get install mosquitto)")


@dataclass
class MosquittoBroker:
    port: int
    process: ManagedProcess
    data_dir: Path
    host: str = "127.0.0.1"


def render_config(port: int, data_dir: Path, password_file: Path | None = None) -> str:
    lines = [
        "per_listener_settings false",
        f"listener {port} 127.0.0.1",
        "protocol mqtt",
        # Queues are unbounded: the bridge applies back-pressure, Mosquitto must not drop.
        "max_queued_messages 0",
        "max_queued_bytes 0",
        # Enough QoS1 messages in flight per client to keep a fast subscriber busy.
        "max_inflight_messages 1000",
        "persistence true",
        f"persistence_location {data_dir}/",
        "autosave_interval 30",
        "set_tcp_nodelay true",
        "log_type error",
        "log_type warning",
        "log_dest stderr",
    ]
    if os.geteuid() == 0:
        # Started as root, Mosquitto drops to the `mosquitto` user and then cannot write its
        # persistence file in our data dir ("Error: Permission denied" in its log): sessions
        # and queued QoS1 messages would be lost on restart. Stay the user that owns the dir.
        lines.append("user root")
    if password_file is None:
        lines.append("allow_anonymous true")
    else:
        lines += ["allow_anonymous false", f"password_file {password_file}"]
    return "\n".join(lines) + "\n"


def start_mosquitto(
    data_dir: Path,
    port: int | None = None,
    log_path: Path | None = None,
    timeout_s: float = 10.0,
) -> MosquittoBroker:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        raise MosquittoNotInstalled
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    conf = data_dir / "mosquitto.conf"
    conf.write_text(render_config(port, data_dir), encoding="utf-8")
    proc = ManagedProcess("mosquitto", [binary, "-c", str(conf)], log_path=log_path).start()
    try:
        assert proc.proc is not None
        wait_for_port("127.0.0.1", port, timeout_s, proc.proc)
    except BaseException:
        proc.stop()
        raise
    return MosquittoBroker(port=port, process=proc, data_dir=data_dir)


def restart(broker: MosquittoBroker, timeout_s: float = 10.0) -> MosquittoBroker:
    """Stop and start on the same port and data dir: persisted sessions survive."""
    broker.process.stop()
    return start_mosquitto(broker.data_dir, broker.port, broker.process.log_path, timeout_s)
