"""Heat from an analogue temperature: a rate that is a rate, a baseline, the sensor's own noise.

Pure arithmetic over DeviceState, in device time. The rate is a least-squares slope over the
last `rate_window_s` (never fewer than the last two readings), so it is a rate in C/min
whatever the reporting interval, jitter or gaps (issue #15.1). A rise counts only when it
stands out of the sensor's noise: the UL FSRI living-room thermocouple swings 6-48 C between
two 2 s samples before ignition, while a healthy one moves by tenths of a degree.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from streams.detectors.config import SmokeSettings
from streams.detectors.state import DeviceState

# Mean |x1 - x2| of two independent normal samples is 2 sigma / sqrt(pi): sigma = 0.886 x that.
_MEAN_ABS_DIFF_TO_SIGMA = math.sqrt(math.pi) / 2
# A rise of the level far outside the noise must not teach the noise estimate: winsorised.
_NOISE_CLIP = 4.0
_new_tuple = tuple.__new__
_MAX_SAMPLES = 16  # at 1 s reporting a 10 s window holds 11; thinning keeps state small


class HeatView(NamedTuple):
    """What one reading says about heat. A NamedTuple: one is built for every smoke reading,
    and a frozen dataclass's __init__ (object.__setattr__ per field) cost three times more."""

    temp_c: float
    rate_c_per_min: float
    rise_c: float  # above the device's slow baseline
    noise_c: float  # the sensor's own noise (one sigma)
    is_rate_alarm: bool  # EN 54-5 class R: a rate of rise that stands out of the noise
    is_rising: bool  # a rise over the baseline that stands out of the noise


def observe(state: DeviceState, t_s: float, temp_c: float, cfg: SmokeSettings) -> HeatView:
    """Fold one reading into the device's heat state and judge it (readings in time order;
    a late reading, older than the newest one, is judged without moving the state)."""
    samples = state.heat_samples
    if samples and t_s <= samples[-1][0]:
        return _view(state, temp_c, cfg)
    if len(samples) >= 2 and samples[-1][0] - samples[-2][0] < cfg.noise_lag_s:
        samples[-1] = [t_s, temp_c]  # closer than the sensor's response: one sample, the newest
    else:
        samples.append([t_s, temp_c])
    while len(samples) > 2 and samples[1][0] <= t_s - cfg.rate_window_s:
        samples.pop(0)
    if len(samples) == 2 and t_s - samples[0][0] > cfg.rate_max_span_s:
        samples.pop(0)  # after a long gap there is no rate to speak of, only a level
    if len(samples) > _MAX_SAMPLES:
        del samples[1:-1:2]  # thin the middle: the span and the newest stay
    slope_c_per_s, rise_se = _slope(samples)
    if state.baseline_c is None:
        state.baseline_c = temp_c
    # Judged against what was known before it: a reading never sets its own noise bar.
    view = _view(
        state, temp_c, cfg, slope_c_per_s=slope_c_per_s, rise_se=rise_se, span_s=t_s - samples[0][0]
    )
    if not view.is_rate_alarm:  # a fire's rise is no noise
        _learn(state, t_s, temp_c, cfg, is_rising=view.is_rising)
    return view


def _slope(samples: list[list[float]]) -> tuple[float, float]:
    """Least-squares slope (C/s) and the factor that turns the noise sigma into the standard
    error of the fitted rise over the span (span / sqrt(Sxx)). One pass, times taken from the
    first sample (this runs for every reading of every heat detector)."""
    n = len(samples)
    if n < 2:
        return 0.0, 0.0
    t0 = samples[0][0]
    st = sv = stt = stv = 0.0
    for t, v in samples:
        dt = t - t0
        st += dt
        sv += v
        stt += dt * dt
        stv += dt * v
    sxx = stt - st * st / n
    if sxx <= 0.0:
        return 0.0, 0.0
    return (stv - st * sv / n) / sxx, (samples[-1][0] - t0) / math.sqrt(sxx)


def _learn(
    state: DeviceState, t_s: float, temp_c: float, cfg: SmokeSettings, *, is_rising: bool
) -> None:
    """Noise (mean absolute change over at least `noise_lag_s`) and baseline, both
    exponentially weighted in time; a running mean for the first readings (warm-up).
    The baseline follows slow ambient drift only, never a rise that is under way (a rise
    judged against the noise: a noisy sensor's high readings are no rise, and must not bias
    its baseline low)."""
    ref = state.noise_ref
    if ref is None:
        state.noise_ref = [t_s, temp_c]
        state.noise_since_s = t_s
        return
    dt_s = t_s - ref[0]
    if dt_s < cfg.noise_lag_s:
        return  # oversampling a slow sensor must not make its noise look smaller
    state.noise_ref = [t_s, temp_c]
    state.noise_n += 1
    change_c = abs(temp_c - ref[1])
    # A running mean until the time weight takes over: quick to learn, slow to forget.
    weight = max(1.0 / state.noise_n, 1.0 - math.exp(-dt_s / cfg.noise_time_constant_s))
    if state.noise_c is not None and state.noise_n > cfg.warm_up_readings:
        change_c = min(change_c, _NOISE_CLIP * state.noise_c)
    prev = state.noise_c if state.noise_c is not None else change_c
    state.noise_c = prev + weight * (change_c - prev)
    base = state.baseline_c if state.baseline_c is not None else temp_c
    if not is_rising or weight == 1.0 / state.noise_n:
        state.baseline_c = base + weight * (temp_c - base)


def _view(
    state: DeviceState,
    temp_c: float,
    cfg: SmokeSettings,
    *,
    slope_c_per_s: float = 0.0,
    rise_se: float = 0.0,
    span_s: float = 0.0,
) -> HeatView:
    """The fit: slope (C/s), the rise's standard-error factor, and the span (s) fitted.
    Every smoke reading is judged here: the tests run only as far as they must (a slow rate
    needs no z-test), and the view is built positionally (NamedTuple keywords cost more)."""
    noise_c = (state.noise_c or 0.0) * _MEAN_ABS_DIFF_TO_SIGMA
    since = state.noise_since_s
    is_warm = state.noise_n >= cfg.warm_up_readings and (
        since is not None and (state.noise_ref or [since])[0] - since >= cfg.warm_up_s
    )
    rise_c = temp_c - (state.baseline_c if state.baseline_c is not None else temp_c)
    rate = slope_c_per_s * 60.0
    # z-test of the fitted rise against the sensor's noise (z = 6: a noisy but healthy sensor
    # must not alarm once in a year of readings), and never less than a real rise.
    is_rate_alarm = (
        is_warm
        and rate >= cfg.rate_of_rise_c_per_min
        and slope_c_per_s * span_s >= max(cfg.rate_min_rise_c, cfg.noise_z * noise_c * rise_se)
    )
    is_rising = is_warm and rise_c >= max(cfg.heat_rise_c, cfg.heat_rise_z * noise_c)
    # tuple.__new__ straight, as engine.py builds a Place: half the cost of HeatView(...).
    return _new_tuple(HeatView, (temp_c, rate, rise_c, noise_c, is_rate_alarm, is_rising))
