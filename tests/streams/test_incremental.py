"""Incremental detector arithmetic against the direct computation it replaced, on seeded
random input: the same results to the last bit (docs/PERFORMANCE.md, "Worker")."""

from __future__ import annotations

import random
from operator import itemgetter

import pytest

from streams.detectors.charging import climb_low_c
from streams.detectors.state import DeviceState

_WINDOW_S = 600.0


def _direct_low_c(samples: list[list[float]], t_s: float, temp_c: float) -> float:
    """The climb window as it was computed before: fold the reading in, scan every sample."""
    if not samples or t_s - samples[-1][0] >= 60.0:
        samples.append([t_s, temp_c])
    while samples and samples[0][0] < t_s - _WINDOW_S:
        samples.pop(0)
    return min(map(itemgetter(1), samples), default=temp_c)


def _readings(rng: random.Random, n: int) -> list[tuple[float, float]]:
    """Reporting every 1-90 s with now and then a long gap or a late (older) reading, and a
    temperature that wanders, climbs and drops."""
    t_s, temp_c, out = 0.0, 30.0, []
    for _ in range(n):
        step = rng.choice((1.0, 10.0, 30.0, 59.9, 60.0, 90.0, 900.0, -20.0))
        t_s = max(0.0, t_s + step + rng.random())
        temp_c += rng.gauss(0.0, 2.0)
        out.append((t_s, round(temp_c, 2)))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_the_kept_climb_minimum_is_the_scanned_one(seed: int) -> None:
    rng = random.Random(seed)
    state = DeviceState(device_id="port-1")
    reference: list[list[float]] = []
    for t_s, temp_c in _readings(rng, 3_000):
        if rng.random() < 0.01:  # a new charging session starts the samples afresh
            state.climb_samples, state.climb_low_c, reference = [], None, []
        if rng.random() < 0.01:  # a restart: the state comes back from its changelog record
            state = DeviceState.from_dict(state.to_dict())
        assert climb_low_c(state, t_s, temp_c, _WINDOW_S) == _direct_low_c(reference, t_s, temp_c)
        assert state.climb_samples == reference


def test_the_kept_minimum_is_not_serialised() -> None:
    state = DeviceState(device_id="port-1")
    climb_low_c(state, 0.0, 31.5, _WINDOW_S)
    assert state.climb_low_c == 31.5
    assert "climb_low_c" not in state.to_dict()
    assert DeviceState.from_dict(state.to_dict()) == state
