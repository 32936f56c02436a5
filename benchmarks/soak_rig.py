"""The soak's processes and probes: the embedded stack with /metrics on the bridge and the
worker, the telemetry sink on VictoriaMetrics, the fleet simulator, and what is sampled of
them (resident memory from /proc, counters from /metrics, lag from the consumer groups)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import time
import urllib.request
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from benchmarks.soak_verdict import Sample
from events.topics import Topics
from firewatch.embedded.process import ManagedProcess, free_port, python_service_env
from firewatch.embedded.services import Endpoints, ServiceSpec, default_services
from firewatch.embedded.victoria import VictoriaMetrics
from firewatch.stack import Stack
from simulators.generator import synthetic_fleet

STARTUP_S = 180.0  # a loaded 2-core machine starts Faust slowly; ready files say when
# Consumer group -> the topics it reads (the groups' defaults: StreamsConfig.app_id,
# SinkConfig.group_id, DispatchConfig.consumer_group).
GROUPS: dict[str, tuple[str, ...]] = {
    "firewatch-streams": (Topics.READINGS, Topics.PRIORITY, Topics.SEQUENCE),
    "firewatch-sink": (Topics.READINGS,),
    "firewatch-dispatch": (Topics.ALERTS,),
    # Dispatch reads the readings only while a command awaits its read-back, without a
    # group (alerts/service/readback_feed.py): it has no lag to report.
}


def rss_mb(pid: int) -> float:
    """Resident memory of a live process (VmRSS), in MB. Raises ProcessLookupError when it is
    gone: a dead process is a failed run, never a small one."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        raise ProcessLookupError(pid) from None
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    if found is None:  # a zombie: exited, not yet reaped
        raise ProcessLookupError(pid)
    return int(found.group(1)) / 1024


def scrape(port: int, pattern: str) -> float | None:
    """The sum of the /metrics samples whose line matches `pattern`; None when unreachable
    (a process busy past the timeout: the caller keeps its last reading)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    rx = re.compile(pattern)
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if rx.match(line))


class SoakRig:
    def __init__(self, work: Path, *, compounds: int, seed: int) -> None:
        self.work, self.compounds, self.seed = work, compounds, seed
        fleet = synthetic_fleet(compounds, seed)
        self.gateways = list(fleet.gateways)
        self.devices = len(fleet.devices)
        self.ports = {"ingest": free_port(), "worker": free_port()}
        self.sim_port = free_port()
        specs = [_with_metrics(s, self.ports.get(s.name)) for s in default_services()]
        self.stack = Stack(work / "stack", services=specs, gateways=self.gateways)
        self.victoria = VictoriaMetrics(work / "victoria", log_path=work / "victoria.log")
        self.ends: Endpoints | None = None
        self.sink: ManagedProcess | None = None
        self.simulator: ManagedProcess | None = None
        self.lag = LagProbe()
        self.counters = {"sent": 0, "bridged": 0, "detected": 0}
        self.sim_time_s = 0.0  # the simulator's own clock: how far the load fell behind

    def start(self) -> None:
        self.ends = self.stack.start(STARTUP_S)
        self.victoria.start()
        # Picked now, not with the others: the stack's start (a minute of connections on
        # ephemeral ports) once took a port picked before it ("Address already in use").
        self.ports["sink"] = free_port()
        argv = [*_firewatch(), "sink", "--bootstrap", self.ends.kafka_bootstrap]
        argv += ["--influx-url", self.victoria.url, "--metrics-port", str(self.ports["sink"])]
        env = python_service_env({"FIREWATCH_KAFKA__FLAVOUR": "tansu"})
        self.sink = ManagedProcess("sink", argv, self.work / "sink.log", env).start()
        _wait_ready(self.sink, self.ports["sink"], STARTUP_S)

    def start_load(self, duration_s: float) -> None:
        """The fleet simulator at x1, in its own process (its CPU is not the sampler's)."""
        assert self.ends is not None
        e = self.ends
        argv = [*_firewatch(), "simulate", "--compounds", str(self.compounds)]
        argv += ["--seed", str(self.seed), "--duration-s", str(duration_s), "--quiet"]
        argv += ["--metrics-port", str(self.sim_port)]
        env = {
            "FIREWATCH_MQTT__HOST": e.mqtt_host,
            "FIREWATCH_MQTT__PORT": str(e.mqtt_port),
            "FIREWATCH_MQTT__GATEWAY_CREDENTIALS": str(e.gateway_logins),
        }
        self.simulator = ManagedProcess("simulator", argv, self.work / "simulator.log", env)
        self.simulator.start()

    def processes(self) -> dict[str, ManagedProcess]:
        procs = dict(self.stack.services)
        if self.stack.mosquitto is not None:
            procs["mosquitto"] = self.stack.mosquitto.process
        if self.stack.tansu is not None:
            procs["tansu"] = self.stack.tansu.process
        for extra in (self.sink, self.victoria.process, self.simulator):
            if extra is not None:
                procs[extra.name] = extra
        return procs

    def check_alive(self) -> None:
        dead = [name for name, p in self.processes().items() if not p.is_running()]
        if dead:
            raise RuntimeError(f"died during the soak: {', '.join(dead)} (logs in {self.work})")

    async def sample(self, at_s: float) -> Sample:
        assert self.ends is not None
        rss = {name: round(rss_mb(p.pid), 1) for name, p in self.processes().items()}
        lag, stored = await self.lag.read(self.ends.kafka_bootstrap)
        counters = await asyncio.to_thread(self._counters)
        behind = round(at_s - self.sim_time_s, 1)
        return Sample(round(at_s, 1), rss, lag, stored, **counters, load_behind_s=behind)

    def _counters(self) -> dict[str, int]:
        """Monotonic counters: a scrape that timed out keeps the last value read (a 0 would
        read as the counter going backwards)."""
        found = {
            "sent": scrape(self.sim_port, r"^firewatch_sim_messages_total "),
            "bridged": scrape(
                self.ports["ingest"], r'^firewatch_ingest_acked_total\{lane="telemetry"'
            ),
            "detected": scrape(
                self.ports["worker"],
                rf'^firewatch_streams_events_total\{{.*"{re.escape(Topics.READINGS)}"',
            ),
        }
        for name, value in found.items():
            if value is not None:
                self.counters[name] = int(value)
        sim_time = scrape(self.sim_port, r"^firewatch_sim_time_seconds ")
        if sim_time is not None:
            self.sim_time_s = sim_time
        return dict(self.counters)

    def stop(self) -> None:
        for proc in (self.simulator, self.sink):
            if proc is not None:
                proc.stop()
        self.victoria.stop()
        self.stack.stop()


class LagProbe:
    """Each group's lag (end offset - committed, summed over its partitions) and the records
    the broker holds. Tansu reports a partition's end as the base offset of its last batch +
    1 (STACK-NOTES.md): the lag reads low by at most one producer batch per partition."""

    async def read(self, bootstrap: str) -> tuple[dict[str, int], int]:
        probes = {g: AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=g) for g in GROUPS}
        plain = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await asyncio.gather(plain.start(), *(c.start() for c in probes.values()))
        try:
            every = [
                TopicPartition(t, p)
                for t in sorted(await plain.topics())
                for p in sorted(plain.partitions_for_topic(t) or ())
            ]
            ends = await plain.end_offsets(every)
            lag = {g: await _lag(probes[g], topics, ends) for g, topics in GROUPS.items()}
            return lag, sum(ends.values())
        finally:
            await asyncio.gather(plain.stop(), *(c.stop() for c in probes.values()))


async def _lag(
    consumer: AIOKafkaConsumer, topics: tuple[str, ...], ends: dict[TopicPartition, int]
) -> int:
    total = 0
    for tp, end in ends.items():
        if tp.topic in topics:
            committed = await consumer.committed(tp)
            total += max(0, end - (committed or 0))
    return total


def _firewatch() -> list[str]:
    return [sys.executable, "-m", "firewatch", "--log-level", "WARNING"]


def _with_metrics(spec: ServiceSpec, port: int | None) -> ServiceSpec:
    if port is None:
        return spec
    argv = spec.argv
    return dataclasses.replace(spec, argv=lambda e: [*argv(e), "--metrics-port", str(port)])


def _wait_ready(proc: ManagedProcess, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not proc.is_running():
            raise RuntimeError(f"{proc.name} exited before it was ready; see {proc.log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{proc.name} not ready within {timeout_s:.0f} s; see {proc.log_path}")
