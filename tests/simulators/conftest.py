"""Helpers for the simulator tests: run a scenario offline and decode what it emitted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from simulators import scenarios
from simulators.delivery import Emission


@dataclass
class Msg:
    t_s: float
    topic: str
    data: dict[str, Any]
    emission: Emission


def run_offline(name: str) -> list[Msg]:
    sc = scenarios.load_named(name)
    sim = sc.build()
    emissions = sim.start() + list(sim.run_until(sc.duration_s))
    return [Msg(e.t_s, e.topic, json.loads(e.payload), e) for e in emissions]


def of(msgs: list[Msg], device: str, kind: str | None = None) -> list[Msg]:
    return [
        m
        for m in msgs
        if m.data["device_id"] == device and (kind is None or m.data["kind"] == kind)
    ]
