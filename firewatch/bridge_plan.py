"""Which ingest bridge carries which compounds, when the broker is Mosquitto.

Mosquitto's shared subscriptions deal messages round-robin, so two bridges on one share group
would split a device's readings between them and lose its order (README, "MQTT at scale").
Each bridge therefore subscribes to its own compounds only: a plan assigns every compound to
exactly one bridge. The assignment is rendezvous hashing with a bounded load (each bridge
carries at most ceil(compounds / bridges)): it is balanced, deterministic, and adding a
compound or a bridge moves few others, so few persistent sessions change hands.

A plan is a directory with one file per bridge, named by the bridge id, one compound id a line
(`firewatch ingest --compounds-file`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# The same pattern as IngestConfig.bridge_id: a bridge id is also a file name and an MQTT
# client-id prefix.
_BRIDGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class PlanError(ValueError):
    """A plan that cannot be made: no compounds, more bridges than compounds, bad ids."""


@dataclass(frozen=True)
class BridgePlan:
    """bridge id -> the compounds it subscribes to (every compound in exactly one)."""

    assignments: dict[str, tuple[str, ...]]

    def files(self) -> dict[str, str]:
        """File name -> content, as `firewatch ingest --compounds-file` reads it."""
        return {
            bridge: f"# compounds bridged by {bridge} (firewatch deploy bridges)\n"
            + "".join(f"{c}\n" for c in compounds)
            for bridge, compounds in self.assignments.items()
        }


def _score(bridge: str, compound: str) -> int:
    digest = hashlib.sha256(f"{bridge}\x00{compound}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def plan_bridges(compounds: Iterable[str], bridges: Sequence[str]) -> BridgePlan:
    """Assign each compound to one bridge (see the module docstring)."""
    ids = sorted(set(compounds))
    _check(ids, bridges)
    capacity = math.ceil(len(ids) / len(bridges))
    load: dict[str, list[str]] = {b: [] for b in bridges}
    for compound in ids:
        ranked = sorted(bridges, key=lambda b: _score(b, compound), reverse=True)
        chosen = next(b for b in ranked if len(load[b]) < capacity)
        load[chosen].append(compound)
    empty = [b for b, cs in load.items() if not cs]
    if empty:
        # Bounded load leaves a bridge empty only when compounds barely exceed bridges; an
        # empty file would be refused by the bridge, so hand it one from the fullest.
        for bridge in empty:
            donor = max(load, key=lambda b: len(load[b]))
            load[bridge].append(load[donor].pop())
    return BridgePlan({b: tuple(sorted(cs)) for b, cs in load.items()})


def _check(compounds: list[str], bridges: Sequence[str]) -> None:
    if not bridges:
        raise PlanError("name at least one bridge")
    if len(set(bridges)) != len(bridges):
        raise PlanError(f"bridge ids must be unique: {list(bridges)}")
    bad = [b for b in bridges if not _BRIDGE_ID.match(b)]
    if bad:
        raise PlanError(f"bad bridge ids {bad}: letters, digits and _.:- only, at most 64")
    if not compounds:
        raise PlanError("the registry names no compound")
    if len(compounds) < len(bridges):
        raise PlanError(
            f"{len(bridges)} bridges for {len(compounds)} compounds: a bridge without a compound"
            " would subscribe to nothing (plan at most one bridge per compound)"
        )


def write_plan(plan: BridgePlan, directory: Path) -> list[Path]:
    """Write one file per bridge; files of bridges no longer in the plan are removed, so a
    stale file can never make a bridge subscribe to compounds another one carries."""
    directory.mkdir(parents=True, exist_ok=True)
    files = plan.files()
    for stale in directory.iterdir():
        if stale.is_file() and stale.name not in files and _is_plan_file(stale):
            stale.unlink()
    written = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _is_plan_file(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as f:
        return f.readline().startswith("# compounds bridged by ")
