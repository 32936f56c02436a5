"""The heat rate is a rate (issue #15.1): the same rise is judged the same at any reporting
interval, with jitter and gaps, and noise is never mistaken for a rise."""

from __future__ import annotations

import random

import pytest

from simulators.datasets.reporting import Reporting, resample
from streams.detectors import heat
from streams.detectors.config import SmokeSettings
from streams.detectors.state import DeviceState

CFG = SmokeSettings()
RAMP_AT_S = 600.0


def _ramp(c_per_min: float, seed: int = 7) -> list[tuple[float, float]]:
    """22 C with 0.1 C sensor noise for 10 min, then a steady rise: a 0.5 s record."""
    rng = random.Random(seed)
    out = []
    for i in range(int((RAMP_AT_S + 600.0) * 2)):
        t_s = i / 2
        rise = max(0.0, t_s - RAMP_AT_S) * c_per_min / 60.0
        out.append((t_s, round(22.0 + rise + rng.gauss(0.0, 0.1), 2)))
    return out


def _first_rate_alarm(samples: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(time, rate C/min) of the first rate-of-rise alarm."""
    state = DeviceState(device_id="h1")
    for t_s, temp_c in samples:
        view = heat.observe(state, t_s, temp_c, CFG)
        if view.is_rate_alarm:
            return t_s, view.rate_c_per_min
    return None


@pytest.mark.parametrize("interval_s", [1.0, 2.0, 5.0, 10.0, 30.0])
def test_a_steady_rise_is_measured_as_its_rate_at_any_interval(interval_s: float) -> None:
    how = Reporting(interval_s, jitter_frac=0.2, gap_frac=0.05, seed=3)
    readings = resample(_ramp(30.0), how, "ramp")
    found = _first_rate_alarm(readings)
    assert found is not None
    # Detected within two reporting intervals plus the 10 s window of the rise starting ...
    assert RAMP_AT_S < found[0] <= RAMP_AT_S + interval_s * 2 + CFG.rate_window_s
    # ... and the number is a rate: on the ramp it reads 30 C/min, not a history-long average.
    state = DeviceState(device_id="h1")
    rates = [
        heat.observe(state, t_s, temp_c, CFG).rate_c_per_min
        for t_s, temp_c in readings
        if t_s <= RAMP_AT_S + 300.0
    ]
    assert 27.0 <= rates[-1] <= 33.0


def test_reporting_more_often_never_detects_later() -> None:
    # The old detector averaged over the device's whole history: 1 s reporting found a 30 C/min
    # ramp after 230 s, 10 s reporting after ~20 s (issue #15).
    latency = {}
    for interval_s in (1.0, 10.0):
        found = _first_rate_alarm(resample(_ramp(30.0), Reporting(interval_s), "ramp"))
        assert found is not None
        latency[interval_s] = found[0] - RAMP_AT_S
    assert latency[1.0] <= latency[10.0]
    assert latency[1.0] <= 10.0


def test_a_slow_warm_up_is_not_a_rate_of_rise() -> None:
    assert _first_rate_alarm(resample(_ramp(3.0), Reporting(2.0), "slow")) is None


@pytest.mark.parametrize("interval_s", [1.0, 2.0, 30.0])
def test_a_noisy_healthy_sensor_never_rises(interval_s: float) -> None:
    # The UL FSRI living-room thermocouple swings 6-48 C between two readings before ignition.
    rng = random.Random(11)
    state = DeviceState(device_id="h1")
    t_s = 0.0
    for _ in range(int(7200 / interval_s)):
        t_s += interval_s
        view = heat.observe(state, t_s, round(27.0 + rng.uniform(-21.0, 21.0), 2), CFG)
        assert not view.is_rate_alarm, f"noise judged a rate of rise at {t_s:.0f} s"
        assert not view.is_rising
    assert view.noise_c > 5.0  # the detector knows this sensor is noisy


def test_no_rate_across_a_long_gap() -> None:
    state = DeviceState(device_id="h1")
    for i in range(40):
        heat.observe(state, i * 10.0, 22.0, CFG)
    after_gap = heat.observe(state, 390.0 + 600.0, 40.0, CFG)
    assert after_gap.rate_c_per_min == 0.0  # ten minutes of silence carry no rate
    assert after_gap.is_rising  # but an 18 C rise over the baseline is still seen


def test_late_reading_is_judged_without_moving_the_state() -> None:
    state = DeviceState(device_id="h1")
    for i in range(10):
        heat.observe(state, i * 5.0, 22.0, CFG)
    before = state.to_dict()
    heat.observe(state, 12.0, 80.0, CFG)
    assert state.to_dict() == before
