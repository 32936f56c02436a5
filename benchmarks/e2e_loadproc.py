"""The load of `firewatch bench e2e` in a process of its own: the fleet simulator's telemetry and
the P1s (which need the simulation's device state and seqs) come from a spawned process, so the
watchers that stamp arrivals (the terminals' paho threads, the console readers, the alert
watcher) never wait for the load generator's GIL or event loop, and its CPU can be niced.

In a city the devices are not on the server: the load generator stands in for them, and what it
costs is not the stack's latency. The process reports each P1's publish time over a pipe
(time.time(): CLOCK_REALTIME is one clock for every process of this machine), then its counts.

The conversation, one pickled tuple per message:
  parent -> child  "go" (the watchers are open: load), "idle" (the arrivals are in: go silent,
                   then the idle P1), "stop" (close the gateways' sessions)
  child -> parent  ("ready",) ("p1", place key, device id, sent at) ("load", counts)
                   ("idle_fired",) ("closed",) ("error", traceback)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from benchmarks.e2e_load import Trigger, p1_messages
from events.connections import MqttConnection
from simulators.devices.base import Intervals
from simulators.engine import Simulation
from simulators.fleet import Fleet
from simulators.mqtt.fastpub import FastPool

# Devices are not on the server: by default the load generator yields the CPU to the stack
# (CFS gives a nice-10 process about a tenth of a nice-0 one's share when both want the core),
# as the city's devices would by being elsewhere. It still has to reach --rate (the JSON says
# whether it did). 0 reproduces the old contention of one process for both.
DEFAULT_LOAD_NICE = 10
RATE_REACHED = 0.98  # the pacing's last partial tick and the interval scaling's estimate
TICK_S = 0.005


@dataclass(frozen=True)
class LoadJob:
    """Everything the load process needs; pickled to it at spawn."""

    conn: MqttConnection
    fleet: Fleet
    intervals: Intervals
    chosen: tuple[Trigger, ...]  # the P1s under load, then the idle P1
    load_s: float
    idle_s: float
    rate: float
    seed: int
    nice: int


def main(job: LoadJob, pipe: Connection) -> None:
    """The spawned process's entry point."""
    os.nice(job.nice)
    try:
        asyncio.run(_serve(job, pipe))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
        raise


async def _serve(job: LoadJob, pipe: Connection) -> None:
    sim = Simulation(job.fleet, job.seed, datetime.now(UTC), job.intervals)
    pool = FastPool(job.conn, client_prefix="fwbench-e2e")
    pipe.send(("ready",))
    await _command(pipe, "go")
    pipe.send(("load", await _load(sim, pool, job, pipe)))
    await _command(pipe, "idle")
    await asyncio.sleep(job.idle_s)  # the silence under test, not a wait for a condition
    await _fire(sim, pool, job.chosen[-1], pipe, sim.now_s + job.idle_s)
    pipe.send(("idle_fired",))
    await _command(pipe, "stop")
    await pool.close()
    pipe.send(("closed",))


async def _command(pipe: Connection, expected: str) -> None:
    """Wait for the parent's word in a thread: the loop keeps reading the gateways' acks."""
    got = await asyncio.to_thread(pipe.recv)
    if got != expected:
        raise RuntimeError(f"load process: expected {expected!r}, got {got!r}")


async def _load(sim: Simulation, pool: FastPool, job: LoadJob, pipe: Connection) -> dict[str, Any]:
    """Publish the fleet paced in real time; P1 i at an even spacing after a tenth's warm-up."""
    loop = asyncio.get_running_loop()
    chosen = job.chosen[:-1]
    warm_s = job.load_s * 0.1
    spacing_s = (job.load_s * 0.8) / max(1, len(chosen))
    due = [warm_s + i * spacing_s for i in range(len(chosen))]
    for e in sim.start():
        await pool.publish(e.gateway, e.topic, e.payload, qos=e.qos, retain=e.retain)
    origin, count, fired = loop.time(), 0, 0
    while (t_s := loop.time() - origin) < job.load_s:
        for e in sim.run_until(t_s):
            await pool.publish(e.gateway, e.topic, e.payload, qos=e.qos, retain=e.retain)
            count += 1
        while fired < len(chosen) and due[fired] <= t_s:
            await _fire(sim, pool, chosen[fired], pipe, t_s)
            fired += 1
        await asyncio.sleep(TICK_S)
    wall_s = loop.time() - origin
    rate = count / wall_s
    return {
        "seconds": round(wall_s, 1),
        "telemetry_messages": count,
        "telemetry_msg_per_s": round(rate),
        "rate_asked": job.rate,
        "reaches_rate": rate >= job.rate * RATE_REACHED,
        "p1s_fired": fired,
        "load_nice": job.nice,
    }


async def _fire(
    sim: Simulation, pool: FastPool, trigger: Trigger, pipe: Connection, t_s: float
) -> None:
    """The P1's messages, stamped just before they are handed to the socket. Queueing them
    takes microseconds; only when the broker owes the gateway a full window of acks does a
    message wait, and that wait is the stack's and is counted."""
    messages = p1_messages(sim, trigger, t_s)
    client = await pool.client((trigger.device.compound_id, trigger.device.gateway_id))
    sent_at = time.time()
    for topic, payload in messages:
        if not client.try_publish(topic, payload, qos=1):
            await client.publish(topic, payload, qos=1)
    client.flush()
    pipe.send(("p1", trigger.place_key, trigger.device.device_id, sent_at))


class LoadProcess:
    """The measuring process's end: starts the load process (spawn: none of this process's
    threads or loop is inherited), hands each P1's publish to `on_p1` as it comes, and waits
    for the other messages in order."""

    def __init__(self, job: Any, on_p1: Any, target: Any = None, name: str = "fw-e2e-load") -> None:
        """`target`: another child speaking the same conversation (the raw relay,
        benchmarks/e2e_relay.py); the load process by default."""
        ctx = multiprocessing.get_context("spawn")
        self.pipe, child_end = ctx.Pipe()
        self.process = ctx.Process(
            target=target or main, args=(job, child_end), name=name, daemon=True
        )
        self.process.start()
        child_end.close()
        self.on_p1 = on_p1
        self.inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.pipe.fileno(), self._readable)

    @property
    def pid(self) -> int:
        assert self.process.pid is not None  # started
        return self.process.pid

    def _readable(self) -> None:
        try:
            while self.pipe.poll():
                message = self.pipe.recv()
                if message[0] == "p1":
                    self.on_p1(*message[1:])
                else:
                    self.inbox.put_nowait(message)
        except EOFError:
            self.loop.remove_reader(self.pipe.fileno())
            self.inbox.put_nowait(("error", "the load process exited"))

    def send(self, command: str) -> None:
        self.pipe.send(command)

    async def expect(self, kind: str, timeout_s: float) -> tuple[Any, ...]:
        """The next message, which must be `kind`; the load process's failure is raised here."""
        message = await asyncio.wait_for(self.inbox.get(), timeout_s)
        if message[0] == "error":
            raise RuntimeError(f"load process failed:\n{message[1]}")
        if message[0] != kind:
            raise RuntimeError(f"load process: expected {kind!r}, got {message!r}")
        return message

    def close(self) -> None:
        if not self.pipe.closed:
            self.loop.remove_reader(self.pipe.fileno())
            self.pipe.close()
        self.process.join(10.0)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10.0)
