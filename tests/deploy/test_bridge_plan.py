"""`firewatch deploy bridges`: every compound on exactly one bridge, balanced, stable when the
fleet grows; and a bridge refuses a plan file that names no compound (it would subscribe to all
of them, the other bridges' included)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.registry import EXAMPLE_DIR, load_registry
from firewatch.bridge_plan import BridgePlan, PlanError, plan_bridges, write_plan
from firewatch.cli import main
from ingest.registry import load_registry as load_id_file

COMPOUNDS = [f"c{i:04}" for i in range(100)]
BRIDGES = ["ingest-1", "ingest-2", "ingest-3", "ingest-4"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _owner(plan: BridgePlan) -> dict[str, str]:
    return {c: b for b, compounds in plan.assignments.items() for c in compounds}


def test_every_compound_on_exactly_one_bridge_and_balanced() -> None:
    plan = plan_bridges(COMPOUNDS, BRIDGES)
    carried = [c for compounds in plan.assignments.values() for c in compounds]
    assert sorted(carried) == COMPOUNDS
    sizes = [len(c) for c in plan.assignments.values()]
    assert max(sizes) <= math.ceil(len(COMPOUNDS) / len(BRIDGES))
    assert min(sizes) >= 1
    assert plan_bridges(reversed(COMPOUNDS), BRIDGES) == plan  # order of the registry: no matter


def test_growth_moves_few_compounds() -> None:
    before = _owner(plan_bridges(COMPOUNDS, BRIDGES))
    # A new compound: at most one per bridge moves (only when the per-bridge bound grows).
    grown = _owner(plan_bridges([*COMPOUNDS, "c-new"], BRIDGES))
    assert sum(before[c] != grown[c] for c in COMPOUNDS) <= len(BRIDGES)
    # A new bridge takes about its share (1/5 = 20) from the others, not a reshuffle.
    wider = _owner(plan_bridges(COMPOUNDS, [*BRIDGES, "ingest-5"]))
    moved = sum(before[c] != wider[c] for c in COMPOUNDS)
    assert moved <= 1.5 * len(COMPOUNDS) / 5


@pytest.mark.parametrize(
    ("compounds", "bridges", "message"),
    [
        (["c1"], ["a", "b"], "2 bridges for 1 compounds"),
        ([], ["a"], "names no compound"),
        (["c1", "c2"], ["a", "a"], "unique"),
        (["c1"], ["a/b"], "bad bridge ids"),
        (["c1"], [], "at least one bridge"),
    ],
)
def test_plans_that_cannot_work_are_refused(
    compounds: list[str], bridges: list[str], message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        plan_bridges(compounds, bridges)


def test_written_plan_replaces_stale_bridge_files_only(tmp_path: Path) -> None:
    write_plan(plan_bridges(COMPOUNDS, BRIDGES), tmp_path)
    (tmp_path / "README").write_text("the operator's notes\n")
    write_plan(plan_bridges(COMPOUNDS, BRIDGES[:2]), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README", "ingest-1", "ingest-2"]
    carried = [c for b in BRIDGES[:2] for c in load_id_file(tmp_path / b)]
    assert sorted(carried) == COMPOUNDS  # the files are what `ingest --compounds-file` reads


def test_the_command_plans_the_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bridges"
    assert main(["deploy", "bridges", "--registry", str(EXAMPLE_DIR), str(out)]) == 0
    compounds = {c.compound_id for c in load_registry(EXAMPLE_DIR).compounds}
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["ingest-1", "ingest-2"]  # the compose services' ids
    assert sorted(c for f in files for c in load_id_file(f)) == sorted(compounds)
    assert "ingest-1:" in capsys.readouterr().out.replace(str(out) + "/", "")
    three = ["--bridge", "a", "--bridge", "b", "--bridge", "c"]
    assert main(["deploy", "bridges", "--registry", str(EXAMPLE_DIR), *three, str(out)]) == 2


def test_a_bridge_refuses_a_plan_file_without_compounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "ingest-9"
    empty.write_text("# compounds bridged by ingest-9\n")
    assert main(["ingest", "--compounds-file", str(empty)]) == 3
    assert "names no compound" in capsys.readouterr().err
