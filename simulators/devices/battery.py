"""A Li-ion pack failing on charge: cell temperature, vented gas and pack voltage (pure).

Shapes come from the ARC calorimeter curves (thermal-runaway-arc, calibration.json): the slow
self-heating phase lasts hours there, so all of it but the last `real_tail_s` is compressed
into the first part of the pre-heat; the last minutes and the runaway itself play in real time,
so the off-gas that precedes runaway by minutes (DOMAIN.md §4) keeps its real lead.
The gas is what a sensor in the port's compartment reads: vented mol mixed into its air, with
the compartment's air exchange. The pack is 13 cells in series: a cell that shorts takes its
share of the voltage, its neighbours follow one by one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from simulators.calibration import Calibration, interpolate

# Cabinet compartment: 0.1 m3 of air (about 4.1 mol at 20 C), exchanged with a 60 s time
# constant (U, a ventilated charging cabinet).
AIR_MOL = 4.1
AIR_EXCHANGE_S = 60.0
# Vent gas of NMC cells in runaway: H2 about 30 %, CO about 25 % (Golubkov et al. 2014, RSC Adv.
# 4:3633, S); electrolyte vapour read as VOC (isobutylene-equivalent), 10 % (U).
GAS_FRACTION = {"h2_ppm": 0.30, "co_ppm": 0.25, "voc_ppm": 0.10}
SENSOR_MAX_PPM = 10_000.0  # electrochemical / PID sensors saturate (U)
CELLS = 13  # 48 V nominal, 54.6 V full: 13 x 4.2 V (GB 43854-2024: <= 60 V)
CELL_PROPAGATION_S = 10.0  # one more cell every 10 s once the first shorted (U)
VENT_RATE_MOL_PER_S = 1e-3  # the vent bursts: gas generation jumps past this
REAL_TAIL_S = 300.0


@dataclass(frozen=True)
class RunawayCurves:
    """Cell temperature (C) and cumulative vented gas (mol), t = 0 at the runaway onset."""

    front_c: list[tuple[float, float]]
    back_c: list[tuple[float, float]]
    gas_mol: list[tuple[float, float]]

    @classmethod
    def of(cls, cal: Calibration) -> RunawayCurves:
        return cls(cal.runaway_front, cal.runaway_back, cal.runaway_gas)

    def front_time(self, rel_s: float, preheat_s: float) -> float:
        """Curve time (s, < 0 before the onset) `rel_s` into a pre-heat of `preheat_s`: the
        last `REAL_TAIL_S` (at most half the pre-heat) in real time, the rest compressed."""
        tail_s = min(REAL_TAIL_S, preheat_s / 2)
        start = self.front_c[0][0]
        if rel_s >= preheat_s - tail_s:
            return rel_s - preheat_s
        return start + (-tail_s - start) * rel_s / (preheat_s - tail_s)

    def curve_time(self, rel_s: float, preheat_s: float) -> float:
        return self.front_time(rel_s, preheat_s) if rel_s < preheat_s else rel_s - preheat_s

    def cell_c(self, curve_s: float) -> float:
        return interpolate(self.front_c if curve_s < 0 else self.back_c, curve_s)

    def gas_rate_mol_per_s(self, curve_s: float) -> float:
        """Vented gas per real second at curve time `curve_s` (the segment's slope)."""
        pts = self.gas_mol
        for (t0, m0), (t1, m1) in itertools.pairwise(pts):
            if t0 <= curve_s < t1:
                return max(0.0, (m1 - m0) / (t1 - t0))
        return 0.0

    def jump_s(self) -> float:
        """Curve time where the rise first reaches 1 C/s: the cell shorts."""
        pts = self.back_c
        for (t0, c0), (t1, c1) in itertools.pairwise(pts):
            if t1 > t0 and (c1 - c0) / (t1 - t0) >= 1.0:
                return t0
        return 0.0

    def venting_s(self) -> float:
        """Curve time where the vent bursts (gas generation past VENT_RATE_MOL_PER_S)."""
        pts = self.gas_mol
        for (t0, m0), (t1, m1) in itertools.pairwise(pts):
            if t0 >= 0 and t1 > t0 and (m1 - m0) / (t1 - t0) >= VENT_RATE_MOL_PER_S:
                return t0
        return 0.0


def onset_s(curves: RunawayCurves) -> float:
    """Curve time the runaway shows itself: the vent bursts or the first cell shorts (the
    temperature jumps), whichever comes first. Ground truth for the P1 deadline."""
    return min(curves.venting_s(), curves.jump_s())


def pack_voltage_v(full_v: float, since_short_s: float) -> float:
    """A pack whose first cell shorted `since_short_s` ago (negative: none yet)."""
    if since_short_s < 0:
        return full_v
    lost = min(CELLS, 1 + int(since_short_s / CELL_PROPAGATION_S))
    return full_v * (1 - lost / CELLS)


@dataclass
class Compartment:
    """Vent gas (mol) mixed into a compartment's air, flushed by its air exchange."""

    gas_mol: float = 0.0
    last_t_s: float | None = field(default=None)

    def step(self, t_s: float, rate_mol_per_s: float) -> None:
        """Exact first-order update over the time since the last step (rate held constant)."""
        dt_s = 0.0 if self.last_t_s is None else max(0.0, t_s - self.last_t_s)
        self.last_t_s = t_s
        decay = math.exp(-dt_s / AIR_EXCHANGE_S)
        self.gas_mol = self.gas_mol * decay + rate_mol_per_s * AIR_EXCHANGE_S * (1 - decay)

    def ppm(self) -> dict[str, float]:
        return {
            name: min(SENSOR_MAX_PPM, 1e6 * self.gas_mol * frac / AIR_MOL)
            for name, frac in GAS_FRACTION.items()
        }
