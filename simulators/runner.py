"""Run simulations and replays against a real MQTT broker: the library API of the simulator.

For other stages' end-to-end tests (through the composition root):

    from simulators import scenarios, runner
    scenario = scenarios.load_named("flat_fire")          # or scenarios.load(path)
    result = await runner.run_scenario(scenario, MqttConnection(host=..., port=...), speed=None)
    # speed=None: as fast as possible (virtual clock); speed=60: one simulated minute a second.
    result.ground_truth                                    # -> simulators.evaluation.evaluate(...)

`run_simulation` drives any `Simulation` (e.g. a synthetic fleet) and `replay` republishes a
recording. Devices obey commands arriving on their cmd topics (events.commands.Command).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from events.commands import Command
from events.connections import MqttConnection
from simulators.clock import PacedClock, SimClock, VirtualClock
from simulators.delivery import GatewayKey
from simulators.engine import Simulation
from simulators.mqtt.fastpub import FastPool
from simulators.mqtt.pool import GatewayPool
from simulators.replay import Scheduled, gateway_of
from simulators.scenarios import Scenario
from simulators.truth import GroundTruth

log = logging.getLogger(__name__)
Progress = Callable[[int, float], None]  # (messages so far, simulated seconds so far)


@dataclass(frozen=True)
class RunResult:
    messages: int
    commands: int
    sim_s: float
    wall_s: float
    ground_truth: GroundTruth | None = None
    # Worst lateness of the paced clock behind the schedule (simulated s), after the start-up
    # (connecting every gateway) minute: near 0 means the run kept real time (x speed).
    max_lag_s: float = 0.0

    @property
    def rate_msg_s(self) -> float:
        return self.messages / self.wall_s if self.wall_s > 0 else 0.0


class _Commands:
    """Commands from dispatch reach the simulation between two time steps."""

    def __init__(self, sim: Simulation, clock: SimClock) -> None:
        self.sim, self.clock = sim, clock
        self.pending: list[Command] = []
        self.count = 0

    def __call__(self, gw: GatewayKey, payload: bytes) -> None:
        try:
            self.pending.append(Command.model_validate_json(payload))
        except ValidationError as exc:
            log.warning("ignoring a malformed command for %s: %s", gw, exc.errors()[:1])

    async def apply(self, pool: GatewayPool) -> None:
        while self.pending:
            cmd = self.pending.pop(0)
            self.count += 1
            for e in self.sim.apply_command(cmd, self.clock.now_s()):
                await pool.send(e)


async def run_simulation(
    sim: Simulation,
    conn: MqttConnection,
    *,
    until_s: float,
    clock: SimClock | None = None,
    client_prefix: str = "fwsim",
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
    max_outstanding: int = 5000,
    max_inflight: int = 64,
) -> RunResult:
    """Publish the simulation up to simulated time `until_s`, paced by `clock`."""
    clock = clock or VirtualClock()
    commands = _Commands(sim, clock)
    pool = GatewayPool(
        conn,
        client_prefix=client_prefix,
        on_command=commands,
        max_outstanding=max_outstanding,
        max_inflight=max_inflight,
        will_for=lambda gw: (f"fw/v1/{gw[0]}/{gw[1]}/status", sim.wills[gw]),
    )
    started = time.monotonic()
    count = 0
    max_lag_s = 0.0
    for e in sim.start():
        await pool.send(e)
    while not (stop and stop.is_set()):
        t_s = sim.next_time_s()
        if t_s > until_s:
            break
        await clock.sleep_until(t_s)
        if t_s > 60.0:
            max_lag_s = max(max_lag_s, clock.now_s() - t_s)
        await commands.apply(pool)
        for e in sim.run_until(t_s):
            await pool.send(e)
            count += 1
        if progress is not None:
            progress(count, t_s)
    await commands.apply(pool)
    await pool.close()
    wall_s = time.monotonic() - started
    return RunResult(count, commands.count, min(until_s, sim.now_s), wall_s, None, max_lag_s)


async def run_scenario(
    scenario: Scenario,
    conn: MqttConnection,
    *,
    speed: float | None = None,
    start_at: datetime | None = None,
    client_prefix: str = "fwsim",
    progress: Progress | None = None,
) -> RunResult:
    """Publish a scenario (speed None = as fast as possible) and return its ground truth."""
    sim = scenario.build(start_at=start_at)
    clock: SimClock = VirtualClock() if speed is None else PacedClock(speed)
    result = await run_simulation(
        sim,
        conn,
        until_s=scenario.duration_s,
        clock=clock,
        client_prefix=client_prefix,
        progress=progress,
    )
    truth = scenario.ground_truth(start_at=start_at)
    return RunResult(result.messages, result.commands, result.sim_s, result.wall_s, truth)


async def replay(
    schedule: Iterable[Scheduled],
    conn: MqttConnection,
    *,
    client_prefix: str = "fwreplay",
    progress: Progress | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    max_outstanding: int = 5000,
    is_fast: bool = True,
) -> RunResult:
    """Republish planned records on one client per gateway, keeping the planned offsets.
    `is_fast` uses the minimal asyncio publisher (simulators.mqtt.fastpub), else paho."""
    pool: GatewayPool | FastPool
    if is_fast:
        pool = FastPool(conn, client_prefix=client_prefix)
    else:
        pool = GatewayPool(
            conn, client_prefix=client_prefix, max_outstanding=max_outstanding, is_v5=False
        )
    origin = monotonic()
    count = 0
    last_at = 0.0
    for item in schedule:
        delay_s = origin + item.at_s - monotonic()
        if delay_s > 0.001:  # below a millisecond the loop's own latency dominates
            await asyncio.sleep(delay_s)
        r = item.record
        await pool.publish(gateway_of(r.topic), r.topic, r.payload, qos=r.qos, retain=r.retain)
        count += 1
        last_at = item.at_s
        if progress is not None and count % 1000 == 0:
            progress(count, item.at_s)
    await pool.close()
    if progress is not None:
        progress(count, last_at)
    return RunResult(count, 0, last_at, monotonic() - origin)
