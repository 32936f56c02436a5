"""The calibration table (derived from the shared data sets by `simulators.calibrate`) and the
small sampling helpers the device models use. Loaded once; pure afterwards."""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CALIBRATION_PATH = Path(__file__).parent / "data" / "calibration.json"


def sample_quantiles(rng: random.Random, quantiles: list[float]) -> float:
    """Inverse-CDF sample from equally spaced quantiles (0 %, 5 %, ... 100 %)."""
    u = rng.random() * (len(quantiles) - 1)
    i = int(u)
    if i >= len(quantiles) - 1:
        return quantiles[-1]
    return quantiles[i] + (quantiles[i + 1] - quantiles[i]) * (u - i)


def interpolate(points: list[tuple[float, float]], t: float) -> float:
    """Linear interpolation in (t, value) points sorted by t; flat outside."""
    if t <= points[0][0]:
        return points[0][1]
    if t >= points[-1][0]:
        return points[-1][1]
    times = [p[0] for p in points]
    i = bisect.bisect_right(times, t)
    (t0, v0), (t1, v1) = points[i - 1], points[i]
    return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)


@dataclass(frozen=True)
class Calibration:
    raw: dict[str, Any]

    @property
    def arrival_hour_weights(self) -> list[float]:
        return list(self.raw["charging"]["norway"]["arrival_hour_weights"])

    @property
    def plugin_duration_h(self) -> list[float]:
        return list(self.raw["charging"]["norway"]["plugin_duration_h_quantiles"])

    @property
    def energy_kwh(self) -> list[float]:
        return list(self.raw["charging"]["norway"]["energy_kwh_quantiles"])

    @property
    def idle_after_full_h(self) -> list[float]:
        return list(self.raw["charging"]["acn"]["idle_after_full_h_quantiles"])

    @property
    def door_open_s(self) -> list[float]:
        return list(self.raw["doors"]["front_open_s_quantiles"])

    @property
    def door_openings_per_day(self) -> float:
        return float(self.raw["doors"]["front_openings_per_day"])

    @property
    def smoke_rel_std(self) -> float:
        return float(self.raw["smoke"]["pm25_quiet_rel_std"])

    @property
    def temp_step_c_std(self) -> float:
        return float(self.raw["smoke"]["temp_step_c_std"])

    @property
    def nuisance_shape(self) -> list[tuple[float, float]]:
        step = float(self.raw["smoke"]["nuisance_shape_step_s"])
        return [(i * step, float(v)) for i, v in enumerate(self.raw["smoke"]["nuisance_shape"])]

    def fire_curve(self, room: str) -> list[tuple[float, float]]:
        """Ceiling temperature rise (C) after ignition (t = 0) for a UL FSRI room key."""
        fire = self.raw["fire"]
        start, step = float(fire["start_s"]), float(fire["step_s"])
        return [(start + i * step, float(v)) for i, v in enumerate(fire["delta_c"][room])]

    @property
    def runaway_front(self) -> list[tuple[float, float]]:
        return [(float(t), float(c)) for t, c in self.raw["runaway"]["front_c"]]

    @property
    def runaway_back(self) -> list[tuple[float, float]]:
        return [(float(t), float(c)) for t, c in self.raw["runaway"]["back_c"]]

    @property
    def runaway_gas(self) -> list[tuple[float, float]]:
        """Cumulative gas the cell vented (mol), front and back phases, t = 0 at the onset."""
        raw = self.raw["runaway"]
        points = [*raw["front_gas_mol"], *raw["back_gas_mol"][1:]]
        return [(float(t), float(m)) for t, m in points]


@cache
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    return Calibration(json.loads(path.read_text(encoding="utf-8")))
