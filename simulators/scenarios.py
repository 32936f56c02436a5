"""Scenarios: a fleet, a seed, injected conditions, and the ground truth they imply.

A scenario file (YAML) declares injections (what happens, where, when), the alerts a correct
pipeline raises: kind (an `events.alerts.AlertKind`), device or area, onset and deadline; quiet
windows where no alert (of the given kinds) may fire, and alerts that are tolerated; and the
incidents a person on duty should see (`incidents`: place, severity, conditions, linkage
tasks, station). Any other incident fails the scenario.

Library API for other stages' end-to-end tests:

    scenario = simulators.scenarios.load(path)           # or load_named("flat_fire")
    sim = scenario.build()                               # a seeded Simulation, injections applied
    truth = scenario.ground_truth()                      # GroundTruth for simulators.evaluation
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from simulators.devices.base import Intervals
from simulators.engine import Simulation
from simulators.fleet import Fleet, load_fleet
from simulators.injections import Injection, apply_injection
from simulators.truth import (
    Expectation,
    GroundTruth,
    IncidentExpectation,
    QuietWindow,
    Tolerated,
)

SCENARIOS_DIR = Path(__file__).parent / "scenarios"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scenario(_Frozen):
    name: str
    description: str = ""
    seed: int = 1
    fleet: str = "example"
    start_at: AwareDatetime
    duration_s: float = Field(gt=0)
    smoke_interval_s: float = Field(default=30.0, gt=0)
    faults: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    injections: tuple[Injection, ...] = ()
    expect: tuple[Expectation, ...] = ()
    quiet: tuple[QuietWindow, ...] = ()
    tolerate: tuple[Tolerated, ...] = ()
    incidents: tuple[IncidentExpectation, ...] | None = None
    base_dir: Path | None = Field(default=None, exclude=True)

    def load_fleet(self) -> Fleet:
        path: Path | str = self.fleet
        if self.fleet != "example" and self.base_dir is not None:
            path = self.base_dir / self.fleet
        return load_fleet(path).with_faults(self.faults)

    def build(self, start_at: datetime | None = None, fleet: Fleet | None = None) -> Simulation:
        """A seeded simulation of this scenario with every injection applied (not started)."""
        fleet = fleet or self.load_fleet()
        intervals = Intervals(smoke_s=self.smoke_interval_s)
        sim = Simulation(fleet, self.seed, start_at or self.start_at, intervals)
        for inj in self.injections:
            apply_injection(sim, inj)
        return sim

    def ground_truth(
        self, start_at: datetime | None = None, fleet: Fleet | None = None
    ) -> GroundTruth:
        fleet = fleet or self.load_fleet()
        expect = tuple(
            e.model_copy(
                update={
                    "area_devices": tuple(
                        d.device_id for d in fleet.devices if d.area_id == e.area_id
                    )
                }
            )
            if e.area_id
            else e
            for e in self.expect
        )
        return GroundTruth(
            name=self.name,
            start_at=start_at or self.start_at,
            expect=expect,
            quiet=self.quiet,
            tolerate=self.tolerate,
            incidents=self.incidents,
            notes=self.description,
        )


def load(path: Path | str) -> Scenario:
    """Load and validate a scenario file (raises pydantic.ValidationError naming the field)."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Scenario.model_validate({**data, "base_dir": path.parent})


def load_named(name: str) -> Scenario:
    """A scenario shipped in simulators/scenarios/ by its file stem."""
    return load(SCENARIOS_DIR / f"{name}.yaml")


def shipped() -> list[Path]:
    return sorted(SCENARIOS_DIR.glob("*.yaml"))
