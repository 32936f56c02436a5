"""Ground truth: the alerts a correct pipeline raises, and when it must stay quiet.

Times are simulated seconds after `start_at` (the run's t = 0), so one ground truth works at any
replay speed. Used by scenarios, dataset adapters (recordings carry it in their header) and eval.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.alerts import AlertKind


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expectation(_Frozen):
    """An alert that must be raised within `deadline_s` of `onset_s` (simulated seconds)."""

    kind: AlertKind
    device_id: str | None = None
    area_id: str | None = None
    compound_id: str | None = None
    onset_s: float = Field(ge=0)
    deadline_s: float = Field(gt=0)
    # More distinct incidents than this for one expectation is a failure (duplicates page twice).
    max_incidents: int | None = Field(default=None, ge=1)
    # Filled from the fleet: the devices of `area_id`, so a per-device alert in the area matches.
    area_devices: tuple[str, ...] = ()


class QuietWindow(_Frozen):
    """No alert of `kinds` (all kinds when empty) may be raised in [start_s, end_s)."""

    start_s: float = Field(ge=0)
    end_s: float
    kinds: tuple[AlertKind, ...] = ()
    compound_id: str | None = None
    device_id: str | None = None


class Tolerated(_Frozen):
    """Alerts that are neither required nor false (e.g. a pre-alarm before the fire alarm)."""

    kind: AlertKind
    device_id: str | None = None
    area_id: str | None = None


class GroundTruth(_Frozen):
    name: str
    start_at: AwareDatetime
    expect: tuple[Expectation, ...] = ()
    quiet: tuple[QuietWindow, ...] = ()
    tolerate: tuple[Tolerated, ...] = ()
    notes: str = ""
