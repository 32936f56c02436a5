"""The tick's shortcut: a device that `may_be_due` says is not due really has nothing due."""

from __future__ import annotations

import copy
import random

from benchmarks.streams_load import EPOCH, reading
from streams.detectors.engine import DeviceEngine
from streams.detectors.state import DeviceState
from tests.streams.fixtures import door, heartbeat


def test_a_device_skipped_by_the_shortcut_has_nothing_due() -> None:
    engine = DeviceEngine()
    rng = random.Random(3)
    states = {n: DeviceState(device_id=f"dev-{n:06d}") for n in range(200)}
    t0 = EPOCH.timestamp()
    for seq in range(6):  # the benchmark's mix: smoke, ports, doors, heartbeats
        for n, st in states.items():
            engine.on_reading(st, reading(rng, n, seq, seq * 10.0), t0 + seq * 10.0)
    fire_door = DeviceState(device_id="fd1")
    engine.on_reading(
        fire_door, door("fd1", 1, t0, door_type="fire_door_nc", event="opened", is_open=True), t0
    )
    quiet = DeviceState(device_id="hb1")
    engine.on_reading(quiet, heartbeat("hb1", 1, t0), t0)
    all_states = [*states.values(), fire_door, quiet]
    skipped = due = 0
    for later_s in (1.0, 45.0, 200.0, 4000.0):  # past held-open and silence deadlines
        now_s = t0 + 60.0 + later_s
        for st in all_states:
            probe = copy.deepcopy(st)
            out = engine.on_tick(probe, now_s)
            found = bool(out.findings or out.signals or out.is_significant)
            if engine.may_be_due(st, now_s):
                due += found
            else:
                skipped += 1
                assert not found, (st.device_id, later_s)
    assert skipped > 0
    assert due > 0  # the held-open fire door and the silent heartbeat device were found
