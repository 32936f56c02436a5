"""Registry validation and station routing as pure code with fixed times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from alerts.errors import RegistryError
from alerts.registry import EXAMPLE_DIR, Registry, load_registry
from alerts.routing import route

# 02:00 UTC = 10:00 Asia/Shanghai: the day shift is on.
DAY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
NIGHT = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # 22:00 local


@pytest.fixture
def registry() -> Registry:
    return load_registry(EXAMPLE_DIR)


def test_example_registry_loads_with_rosters(registry: Registry) -> None:
    east = registry.station("st-east")
    assert east.shift_at(DAY) is not None
    assert east.shift_at(DAY).name == "day"  # type: ignore[union-attr]
    assert east.shift_at(NIGHT).name == "night"  # type: ignore[union-attr]
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


def test_routes_to_nearest_on_duty_station_and_explains(registry: Registry) -> None:
    decision = route(registry, "c001", DAY)
    assert decision.station_id == "st-east"
    assert decision.ranked_by == "distance"
    first = decision.candidates[0]
    assert first.station_id == "st-east"
    assert first.on_duty == ("ste-m1", "ste-m2", "ste-m3")
    assert first.distance_m < decision.candidates[1].distance_m
    assert "st-east" in decision.explain()
    assert "chosen" in decision.explain()


def test_falls_back_to_next_station_when_busy(registry: Registry) -> None:
    decision = route(registry, "c001", DAY, busy={"st-east": "c001/b1/fire/sd-1"})
    assert decision.station_id == "st-west"
    assert "busy with c001/b1/fire/sd-1" in decision.explain()


def test_all_busy_still_dispatches_to_nearest(registry: Registry) -> None:
    decision = route(registry, "c001", DAY, busy={"st-east": "a", "st-west": "b"})
    assert decision.station_id == "st-east"
    assert "all on-duty stations busy" in decision.note


def test_travel_time_table_beats_distance(registry: Registry) -> None:
    timed = Registry(
        registry.stations,
        registry.compounds,
        registry.streets,
        registry.districts,
        travel_time_s={"c001": {"st-east": 400.0, "st-west": 150.0}},
    )
    decision = route(timed, "c001", DAY)
    assert decision.station_id == "st-west"
    assert decision.ranked_by == "travel_time"


def test_unknown_compound_gets_no_station(registry: Registry) -> None:
    assert route(registry, "c-nowhere", DAY).station_id is None
