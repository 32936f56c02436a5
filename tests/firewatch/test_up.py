"""`firewatch up` as a user runs it: closed by default (issue 12.1), refuses ports in use, says
ready only when every part serves, and leaves nothing behind (issue 14.3)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from events.connections import MqttConnection
from events.topics import Topics
from firewatch.embedded.credentials import GATEWAYS_FILE, SERVICES_FILE, Credential
from firewatch.embedded.errors import StackError
from firewatch.embedded.mosquitto import start_mosquitto
from firewatch.embedded.readiness import check_mqtt_login
from firewatch.stack import Endpoints, ServiceSpec, Stack
from simulators import runner, scenarios
from tests.ingest.support import KafkaReader
from tests.polling import wait_for

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: it only waits for its parent to read its status.
    stat_file = Path(f"/proc/{pid}/stat")
    return stat_file.exists() and stat_file.read_text().split()[2] != "Z"


async def _up(*args: str) -> asyncio.subprocess.Process:
    argv = [sys.executable, "-m", "firewatch", "up", *args]
    return await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture
async def up(tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, Any]]]:
    proc = await _up("--data-dir", str(tmp_path / "stack"))
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        assert line, (await proc.stderr.read()).decode() if proc.stderr else "no ready line"
        yield proc, json.loads(line)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port` (from /proc/net/tcp: what the kernel says)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _connack(host: str, port: int, user: str | None, password: str | None) -> int:
    """The CONNACK reason code the broker answers this login with."""
    result: list[int] = []
    answered = threading.Event()

    def on_connect(_c: object, _u: object, _f: object, rc: Any, _p: object) -> None:
        result.append(int(rc.value))
        answered.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if user is not None:
        client.username_pw_set(user, password)
    client.on_connect = on_connect
    client.connect(host, port)
    client.loop_start()
    try:
        assert answered.wait(10), "no CONNACK"
        return result[0]
    finally:
        client.disconnect()
        client.loop_stop()


def _check_secrets(ready: dict[str, Any]) -> None:
    """0600 files in a 0700 folder, named in the ready line, never printed or logged; service
    usernames (so client ids) carry the stack id; a guessed password is refused."""
    services = json.loads(Path(ready["credentials"]["services"]).read_text())
    bridge = services["services"]["ingest"]["username"]
    assert bridge == f"fw-{ready['stack_id']}-ingest"  # client ids unique to this stack
    assert _connack(ready["mqtt_host"], ready["mqtt_port"], f"{bridge}-telemetry", "x") == 0x87
    secrets = Path(ready["credentials"]["services"]).parent
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    for name in (SERVICES_FILE, GATEWAYS_FILE, "mqtt-passwd", "audit.key"):
        assert stat.S_IMODE((secrets / name).stat().st_mode) == 0o600, name
    passwords = [c["password"] for c in services["services"].values()]
    logs = "".join(p.read_text() for p in Path(ready["logs"]).iterdir())
    assert not any(pw in logs or pw in json.dumps(ready) for pw in passwords)


async def test_a_simulated_gateway_reaches_kafka_and_strangers_are_refused(
    up: tuple[asyncio.subprocess.Process, dict[str, Any]],
) -> None:
    proc, ready = up
    host, port = ready["mqtt_host"], ready["mqtt_port"]
    # Loopback only, every part.
    kafka_port = int(ready["kafka_bootstrap"].rsplit(":", 1)[1])
    console_port = int(ready["console_url"].rstrip("/").rsplit(":", 1)[1])
    for p in (port, kafka_port, console_port):
        assert _listening_addresses(p) == {"127.0.0.1"}, p
    # No anonymous client, no guessed password (CONNACK 0x87 Not authorized).
    assert _connack(host, port, None, None) == 0x87
    _check_secrets(ready)
    # The simulator logs each gateway in with its own credential: a scenario gets through.
    scenario = scenarios.load_named("flat_fire")
    env_conn = ready["simulator_env"]["FIREWATCH_MQTT__GATEWAY_CREDENTIALS"]
    assert env_conn == ready["credentials"]["gateways"]
    conn = MqttConnection(host=host, port=port, gateway_credentials=Path(env_conn))
    topics = (Topics.READINGS, Topics.DEAD_LETTER)
    async with KafkaReader(ready["kafka_bootstrap"], *topics) as reader:
        # Timestamps end now: inside the bridge's window of accepted readings.
        sim = scenario.build(start_at=datetime.now(UTC) - timedelta(seconds=10))
        result = await runner.run_simulation(sim, conn, until_s=5)
        assert result.messages > 0
        await wait_for(
            lambda: reader.count(Topics.READINGS) >= result.messages,
            30,
            what="every simulated reading on Kafka",
        )
        assert reader.count(Topics.DEAD_LETTER) == 0
    assert proc.returncode is None


async def test_sigterm_leaves_no_child(
    up: tuple[asyncio.subprocess.Process, dict[str, Any]],
) -> None:
    proc, ready = up
    children = ready["pids"]
    assert len(children) == 5  # tansu, mosquitto, bridge, worker, dispatch
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    await wait_for(lambda: not any(_alive(pid) for pid in children), 10, what="children gone")
    assert proc.stderr is not None
    err = (await proc.stderr.read()).decode()
    assert "keeps every topic in memory only" in err.splitlines()[0]


async def test_ctrl_c_at_the_terminal_stops_everything_in_order(tmp_path: Path) -> None:
    """A terminal's Ctrl-C goes to its whole foreground process group: the brokers must not
    get it too, or they stop under the services' feet ("stopped on their own")."""
    argv = [sys.executable, "-m", "firewatch", "up", "--data-dir", str(tmp_path / "stack")]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 120)
    assert line, (await proc.stderr.read()).decode()
    children = json.loads(line)["pids"]
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: to the group it leads
    await asyncio.wait_for(proc.wait(), 60)
    await wait_for(lambda: not any(_alive(pid) for pid in children), 10, what="children gone")
    err = (await proc.stderr.read()).decode()
    assert "stopped on their own" not in err, err
    assert "killing it" not in err, err


async def test_a_port_in_use_is_refused_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for flag in ("--mqtt-port", "--kafka-port"):
            proc = await _up(flag, str(port), "--data-dir", str(tmp_path / flag))
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 2
            assert out == b""  # never "ready"
            lines = err.decode().strip().splitlines()
            assert lines[-1].startswith("firewatch up: ")
            assert f"port {port} " in lines[-1]
            assert "already in use" in lines[-1]
            assert not any("Traceback" in line for line in lines)


def test_ready_means_serving_not_running(tmp_path: Path) -> None:
    """A service whose process runs but never serves (its MQTT broker is unreachable) keeps
    the stack from being ready."""

    def argv(e: Endpoints) -> list[str]:
        wrong_port = str(e.mqtt_port + 1)
        kafka = ["--kafka-bootstrap", e.kafka_bootstrap, "--kafka-flavour", "tansu"]
        return ["ingest", "--mqtt-port", wrong_port, *kafka]

    never = ServiceSpec("ingest", argv, mqtt_login="ingest")
    stack = Stack(tmp_path, services=[never])
    try:
        with pytest.raises(StackError, match="ingest not ready within 8 s"):
            stack.start(timeout_s=8)
        assert stack.services["ingest"].is_running()
    finally:
        stack.stop()


def test_an_open_broker_on_the_port_is_not_taken_for_ours(tmp_path: Path) -> None:
    foreign = start_mosquitto(tmp_path / "foreign")  # anonymous: accepts any login
    try:
        where = MqttConnection(port=foreign.port)
        with pytest.raises(StackError, match="accepts any password"):
            check_mqtt_login(where, Credential("fw-x-probe", "secret"))
    finally:
        foreign.process.stop()
