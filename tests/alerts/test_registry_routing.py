"""Registry validation and station routing as pure code with fixed times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from alerts.errors import RegistryError
from alerts.registry import EXAMPLE_DIR, Registry, load_registry
from alerts.registry.models import Station
from alerts.routing import mutual_aid, route
from events.incidents import DispatchReason

# 02:00 UTC = 10:00 Asia/Shanghai: the day shift is on.
DAY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
NIGHT = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # 22:00 local


@pytest.fixture
def registry() -> Registry:
    return load_registry(EXAMPLE_DIR)


def test_example_registry_loads_with_rosters(registry: Registry) -> None:
    east = registry.station("st-east")
    day, night = east.shift_at(DAY), east.shift_at(NIGHT)
    assert day is not None
    assert night is not None
    assert (day.name, night.name) == ("day", "night")
    assert registry.compound("c001") is not None


def _write_broken(tmp_path: Path, mutate: str) -> Path:
    for f in EXAMPLE_DIR.glob("*.yaml"):
        doc = yaml.safe_load(f.read_text())
        if f.name == "stations.yaml" and mutate == "short_shift":
            doc["stations"][0]["shifts"][0]["members"] = doc["stations"][0]["shifts"][0]["members"][
                :2
            ]
        if f.name == "compounds.yaml" and mutate == "bad_lat":
            doc["compounds"][0]["lat"] = 123.0
        if f.name == "levels.yaml" and mutate == "unknown_street":
            doc["streets"][0]["street_id"] = "s-other"
        (tmp_path / f.name).write_text(yaml.safe_dump(doc, allow_unicode=True))
    return tmp_path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        ("short_shift", "2 on shift, 301号 asks >= 3"),
        (
            "bad_lat",
            r"compounds.yaml: compounds\[0\]: lat: Input should be less than or equal to 90",
        ),
        ("unknown_street", "unknown street 's-example'"),
    ],
)
def test_invalid_registries_fail_with_a_clear_error(
    tmp_path: Path, mutate: str, message: str
) -> None:
    with pytest.raises(RegistryError, match=message):
        load_registry(_write_broken(tmp_path, mutate))


def test_routes_to_nearest_covering_station_on_duty_and_explains(registry: Registry) -> None:
    decision = route(registry, "c001", DAY)
    assert (decision.station_id, decision.reason) == ("st-east", DispatchReason.NEAREST_COVERING)
    assert decision.ranked_by == "distance"
    first = decision.candidates[0]
    assert first.station_id == "st-east"
    assert first.on_duty == ("ste-m1", "ste-m2", "ste-m3")
    note = decision.note()
    assert note.reason is DispatchReason.NEAREST_COVERING
    assert "st-east (" in note.text
    assert "chosen" in note.text
    assert "st-west (" in note.text
    assert "not covering" in note.text  # st-west covers c-north only


def test_a_busy_station_is_never_replaced_by_one_that_does_not_cover(registry: Registry) -> None:
    decision = route(registry, "c001", DAY, busy={"st-east": "c001/building:b1@x"})
    # st-west does not cover c001 (only c-north): c001's event stays with st-east.
    assert (decision.station_id, decision.reason) == ("st-east", DispatchReason.ALL_COVERING_BUSY)
    assert "busy with c001/building:b1@x" in decision.note().text


def _with(
    registry: Registry,
    stations: tuple[Station, ...] | None = None,
    travel_time_s: dict[str, dict[str, float]] | None = None,
) -> Registry:
    return Registry(
        stations if stations is not None else registry.stations,
        registry.compounds,
        registry.streets,
        registry.districts,
        travel_time_s=travel_time_s or {},
    )


def test_a_busy_station_passes_a_different_event_to_another_covering_one(
    registry: Registry,
) -> None:
    west = registry.station("st-west").model_copy(update={"compounds": ("c-north", "c001")})
    both = _with(registry, stations=(registry.station("st-east"), west))
    decision = route(both, "c001", DAY, busy={"st-east": "c001/building:b1@x"})
    assert (decision.station_id, decision.reason) == ("st-west", DispatchReason.COVERING_NOT_BUSY)


def test_travel_time_table_beats_distance_and_counts_as_coverage(registry: Registry) -> None:
    timed = _with(registry, travel_time_s={"c001": {"st-east": 400.0, "st-west": 150.0}})
    decision = route(timed, "c001", DAY)
    assert decision.station_id == "st-west"
    assert decision.ranked_by == "travel_time"


def test_no_covering_station_on_duty_leaves_mutual_aid_to_the_ladder(registry: Registry) -> None:
    east = registry.station("st-east")
    day_only = east.model_copy(update={"shifts": east.shifts[:1]})  # nobody at night
    reg = _with(registry, stations=(day_only, registry.station("st-west")))
    decision = route(reg, "c001", NIGHT)
    assert (decision.station_id, decision.reason) == (None, DispatchReason.NO_COVERING_ON_DUTY)
    aid = mutual_aid(reg, "c001", NIGHT, exclude=None)
    assert aid is not None
    assert aid.station_id == "st-west"


def test_unknown_compound_gets_no_station(registry: Registry) -> None:
    decision = route(registry, "c-nowhere", DAY)
    assert (decision.station_id, decision.reason) == (None, DispatchReason.UNKNOWN_COMPOUND)
