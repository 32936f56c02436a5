"""The floor of `firewatch bench e2e`: the same load, measured the same way, through a raw relay
with the same hops and no Firewatch code (benchmarks/e2e_relay.py), on a fresh Mosquitto and
Tansu. The project's rule is that a performance figure is read against the raw limit measured
in the same run: the stack's P1 latency over this one says how far our code is from what the
machine, the libraries and the required broker allow at this load.

Same load process (benchmarks/e2e_loadproc.py), same fleet, rate, niceness and P1 schedule as
the stack's phase; the P1 after idle is fired at once (no silence: the floor is under load).
The terminals are watched as in the stack's phase (benchmarks/e2e_watch.TerminalWatch); the
broker is open (no ACL, no logins), which costs the stack's Mosquitto little. Per P1 every hop
is stamped: the device's publish, the relay's MQTT receive, Kafka's produce ack, the relay's
fetch, its page publish, the terminal's receive.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from alerts.notify.terminal import terminal_topic
from alerts.registry import EXAMPLE_DIR, load_registry
from benchmarks.e2e_load import Trigger
from benchmarks.e2e_loadproc import LoadJob, LoadProcess
from benchmarks.e2e_relay import HOP_STAMPS, RelayJob
from benchmarks.e2e_relay import Trigger as RelayTrigger
from benchmarks.e2e_relay import main as relay_main
from benchmarks.e2e_report import hops, reconcile, stats
from benchmarks.e2e_watch import TerminalWatch, cpu_seconds, cpu_shares, until
from events.connections import MqttConnection
from events.topics import KAFKA_TOPICS, Topics, priority_subscriptions, telemetry_subscriptions
from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from firewatch.embedded.tansu import TansuBroker, start_tansu
from firewatch.kafka_admin import ensure_topics
from ingest.config import IngestConfig
from streams.config import StreamsConfig

KINDS = ("fire", "thermal_runaway")
RAW_HOPS = (
    "device_to_mqtt_received",
    "mqtt_received_to_on_kafka",
    "on_kafka_to_consumed",
    "consumed_to_page_published",
    "page_published_to_terminal",
)
START_WAIT_S = 60.0
_SETTINGS = (
    "linger_ms",
    "hold_ms",
    "max_batch_bytes",
    "readings_fetch_wait_ms",
    "priority_fetch_wait_ms",
)
ARRIVAL_WAIT_S = 60.0
_ANY_PASSWORD = "raw"  # noqa: S105 - the raw broker is open (no password file): any login


@dataclass
class RawEnds:
    terminals: list[TerminalWatch]
    sent: dict[str, float] = field(default_factory=dict)  # place key -> publish time

    def published(self, place_key: str, _device_id: str, at: float) -> None:
        self.sent[place_key] = at

    def arrived(self, place_keys: list[str]) -> bool:
        found = reconcile(self.sent, self.terminals, [], place_keys)
        return not found["missing_terminal"]


def run_raw(
    job: LoadJob,
    work_dir: Path,
    drop: frozenset[str] = frozenset(),
    arrival_wait_s: float = ARRIVAL_WAIT_S,
    tune: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The load of `job` (its connection replaced) through the raw relay on brokers of its own,
    whose data and logs go to `work_dir`. `drop`: places the relay must lose (tests); a P1 not
    at its terminal `arrival_wait_s` after the load is reported missing. `tune`: RelayJob
    fields other than the stack's settings (what-if runs, e.g. a shorter readings fetch wait)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    broker = start_mosquitto(work_dir / "mosquitto", log_path=work_dir / "mosquitto.log")
    try:
        tansu = start_tansu(log_path=work_dir / "tansu.log")
        try:
            raw_job = replace(job, conn=MqttConnection(host=broker.host, port=broker.port))
            raw_job = replace(raw_job, idle_s=0.0)
            return asyncio.run(_measure(raw_job, broker, tansu, (drop, arrival_wait_s, tune)))
        finally:
            tansu.process.stop()
    finally:
        broker.process.stop()


def relay_job(
    job: LoadJob, broker: MosquittoBroker, bootstrap: str, drop: frozenset[str]
) -> RelayJob:
    """The relay's settings are the stack's defaults: the bridge's (ingest.config) and the
    worker's fetch waits (streams.config)."""
    ingest, streams = IngestConfig(), StreamsConfig()
    return RelayJob(
        mqtt_host=broker.host,
        mqtt_port=broker.port,
        bootstrap=bootstrap,
        readings_topic=Topics.READINGS,
        priority_topic=Topics.PRIORITY,
        telemetry_filters=tuple(telemetry_subscriptions()),
        priority_filters=tuple(priority_subscriptions()),
        linger_ms=ingest.kafka_linger_ms,
        max_batch_bytes=ingest.kafka_max_batch_bytes,
        hold_ms=ingest.telemetry_hold_ms,
        readings_fetch_wait_ms=streams.fetch_max_wait_ms,
        priority_fetch_wait_ms=streams.priority_fetch_max_wait_ms,
        triggers=_relay_triggers(job.chosen),
        drop=drop,
    )


def _relay_triggers(chosen: tuple[Trigger, ...]) -> dict[str, RelayTrigger]:
    """Each P1's device -> its place and the page topic of the terminal of the station that
    covers its compound (the example registry's, as dispatch pages it)."""
    registry = load_registry(EXAMPLE_DIR)
    terminal_of = {
        c: s.terminal_id for s in registry.stations for c in s.compounds if s.terminal_id
    }
    return {
        t.device.device_id: RelayTrigger(
            t.kind, t.place_key, terminal_topic(terminal_of[t.device.compound_id])
        )
        for t in chosen
    }


async def _measure(
    job: LoadJob,
    broker: MosquittoBroker,
    tansu: TansuBroker,
    how: tuple[frozenset[str], float, dict[str, Any] | None],
) -> dict[str, Any]:
    wanted = {Topics.READINGS, Topics.PRIORITY}
    await ensure_topics(tansu.bootstrap, [s for s in KAFKA_TOPICS if s.name in wanted])
    drop, arrival_wait_s, tune = how
    relay_spec = replace(relay_job(job, broker, tansu.bootstrap, drop), **(tune or {}))
    terminals = sorted({t.page_topic.split("/")[3] for t in relay_spec.triggers.values()})
    ends = RawEnds([TerminalWatch(broker.host, broker.port, t, _ANY_PASSWORD) for t in terminals])
    relay = LoadProcess(relay_spec, None, target=relay_main, name="fw-e2e-raw-relay")
    load_proc = LoadProcess(job, ends.published)
    try:
        await relay.expect("ready", START_WAIT_S)
        await load_proc.expect("ready", START_WAIT_S)
        for t in ends.terminals:
            if not await asyncio.to_thread(t.subscribed.wait, 30.0):
                raise RuntimeError(f"terminal {t.terminal} did not subscribe")
        pids = {"mosquitto": broker.process.pid, "tansu": tansu.process.pid, "relay": relay.pid}
        load = await _load(load_proc, pids, job)
        measured = job.chosen[:-1]
        places = [t.place_key for t in measured]
        await until(lambda: ends.arrived(places), arrival_wait_s)
        load_proc.send("idle")  # the idle P1 at once: the floor has no idle part
        await load_proc.expect("idle_fired", ARRIVAL_WAIT_S)
        load_proc.send("stop")
        await load_proc.expect("closed", ARRIVAL_WAIT_S)
        relay.send("stop")
        _, done = await relay.expect("done", ARRIVAL_WAIT_S)
        under_load = latencies(ends, done["stamps"], measured)
        settings = {k: getattr(relay_spec, k) for k in _SETTINGS}
        return {
            "load": load,
            "under_load": under_load,
            "relay_counts": done["counts"],
            "relay_settings": settings,
        }
    finally:
        load_proc.close()
        relay.close()
        for t in ends.terminals:
            t.stop()


async def _load(load_proc: LoadProcess, pids: dict[str, int], job: LoadJob) -> dict[str, Any]:
    """The load process's run, with the raw path's CPU over it (brokers and relay)."""
    before = cpu_seconds(pids)
    load_proc.send("go")
    _, load = await load_proc.expect("load", job.load_s + ARRIVAL_WAIT_S)
    load["cpu_share_of_a_core"] = cpu_shares(before, cpu_seconds(pids), load["seconds"])
    load["raw_cpu_share"] = round(sum(load["cpu_share_of_a_core"].values()), 3)
    return dict(load)


def latencies(ends: RawEnds, stamps: dict[str, dict[str, float]], measured: Any) -> dict[str, Any]:
    """The stack phase's figures for the raw path: terminal p50 / p99 / max for every P1 and per
    kind, the counts that must reconcile, and each P1's time split by the relay's hops (per
    kind too: a fire and a runaway take different topics)."""
    marks = [ends.sent, *({p: s[h] for p, s in stamps.items() if h in s} for h in HOP_STAMPS)]

    def part(places: list[str]) -> dict[str, Any]:
        split = hops(marks, ends.terminals, places, RAW_HOPS)
        return {
            **_terminal(ends, places),
            "hops": {hop: stats(ms, judged=False) for hop, ms in split["ms"].items()},
            "slowest_p1s": split["slowest"],
        }

    out = part([t.place_key for t in measured])
    out["by_kind"] = {
        kind: part([t.place_key for t in measured if t.kind == kind]) for kind in KINDS
    }
    return out


def _terminal(ends: RawEnds, places: list[str]) -> dict[str, Any]:
    """The terminal's part of the reconciliation (the raw path has no console)."""
    found = reconcile(ends.sent, ends.terminals, [], places)
    for console_only in ("console_ms", "missing_console", "console_duplicate_pages"):
        found.pop(console_only)
    return {"terminal": stats(found.pop("terminal_ms")), **found}


def load_average() -> float:
    """The 1-minute load average: how busy the machine was around a phase."""
    return round(os.getloadavg()[0], 2)
