"""Patrol rounds (巡查) from the registry's `patrols` section (patrols.yaml beside the other
registry files): checkpoints with QR codes, an interval, who patrols. Checked on load against
the registry: compounds, buildings and patrollers exist; checkpoint ids are unique.

"Fire exits of every building daily" is one round with a `per_building` checkpoint template
and `every_h: 24`; the loader expands the template over the compound's buildings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.errors import RegistryError
from alerts.registry.models import Role
from alerts.registry.registry import Registry

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# Who may walk a round: grid workers and station members (issue 18), control rooms and chiefs.
PATROL_ROLES = frozenset({Role.GRID_WORKER, Role.MEMBER, Role.CHIEF, Role.CONTROL_ROOM})
# Rounds are counted in slots from a Monday at local midnight, so a weekly round's week runs
# Monday to Sunday and a daily round's day is the local calendar day.
_SLOT_ANCHOR = datetime(2024, 1, 1)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Checkpoint(_Frozen):
    checkpoint_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    building_id: Id | None = None
    floor: int | None = Field(default=None, ge=-5, le=200)


class CheckpointTemplate(_Frozen):
    """One checkpoint per building of the compound: id `{round_id}-{building_id}-{suffix}`."""

    suffix: Id
    name: str = Field(max_length=80)
    name_en: str = Field(default="", max_length=80)
    floor: int | None = Field(default=None, ge=-5, le=200)


class PatrolRound(_Frozen):
    round_id: Id
    name: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=100)
    compound_id: Id
    every_h: float = Field(gt=0.0, le=24.0 * 31)
    timezone: str = "Asia/Shanghai"
    patrollers: tuple[Id, ...] = Field(min_length=1)
    checkpoints: tuple[Checkpoint, ...] = ()
    per_building: tuple[CheckpointTemplate, ...] = ()

    def slot_of(self, at: datetime) -> tuple[datetime, datetime]:
        """The interval slot [start, end) holding `at`, in the round's local time."""
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone).replace(tzinfo=None)
        every = timedelta(hours=self.every_h)
        index = (local - _SLOT_ANCHOR) // every
        start = (_SLOT_ANCHOR + index * every).replace(tzinfo=zone)
        return start, start + every


def expand(patrol: PatrolRound, registry: Registry) -> PatrolRound:
    """The round with its template expanded over the compound's buildings, checked."""
    where = f"patrol round {patrol.round_id}"
    compound = registry.compound(patrol.compound_id)
    if compound is None:
        raise RegistryError(f"{where}: unknown compound {patrol.compound_id!r}")
    buildings = {b.building_id: b for b in compound.buildings}
    generated = tuple(
        Checkpoint(
            checkpoint_id=f"{patrol.round_id}-{b.building_id}-{t.suffix}",
            name=f"{b.name} {t.name}",
            # name_en arrives with the console's registry (issue 11); until then the name.
            name_en=f"{getattr(b, 'name_en', '') or b.name} {t.name_en or t.name}",
            building_id=b.building_id,
            floor=t.floor,
        )
        for b in compound.buildings
        for t in patrol.per_building
    )
    checkpoints = patrol.checkpoints + generated
    for cp in checkpoints:
        if cp.building_id is not None and cp.building_id not in buildings:
            raise RegistryError(f"{where}: checkpoint {cp.checkpoint_id}: unknown building")
    for member_id in patrol.patrollers:
        member = registry.member(member_id)
        if member is None or member.role not in PATROL_ROLES:
            raise RegistryError(f"{where}: {member_id!r} is not a grid worker or station member")
    if not checkpoints:
        raise RegistryError(f"{where}: no checkpoints")
    return patrol.model_copy(update={"checkpoints": checkpoints, "per_building": ()})


def load_patrols(directory: Path, registry: Registry) -> tuple[PatrolRound, ...]:
    """Every `patrols` section of the registry directory's *.yaml files, expanded and checked."""
    rounds: list[PatrolRound] = []
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, raw in enumerate(doc.get("patrols") or []):
            rounds.append(expand(_validate(raw, f"{path.name}: patrols[{i}]"), registry))
    _check_unique(rounds)
    return tuple(rounds)


def _validate(raw: Any, where: str) -> PatrolRound:
    try:
        patrol = PatrolRound.model_validate(raw)
        ZoneInfo(patrol.timezone)
    except ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        raise RegistryError(f"{where}: {errs}") from None
    except (KeyError, ValueError) as exc:
        raise RegistryError(f"{where}: unknown time zone ({exc})") from None
    return patrol


def _check_unique(rounds: list[PatrolRound]) -> None:
    ids = [r.round_id for r in rounds]
    points = [cp.checkpoint_id for r in rounds for cp in r.checkpoints]
    for what, values in (("round", ids), ("checkpoint", points)):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise RegistryError(f"duplicate patrol {what} ids: {dupes}")


def checkpoint_index(rounds: tuple[PatrolRound, ...]) -> dict[str, tuple[PatrolRound, Checkpoint]]:
    return {cp.checkpoint_id: (r, cp) for r in rounds for cp in r.checkpoints}
