"""Synthetic fleets for load: N compounds around a city centre, seeded.

Each compound gets 1-3 buildings of 4-8 floors, one charging shed of 6-12 ports and gates; one
gateway per building plus one for the shed and gates (about 40-90 devices a compound).
"""

from __future__ import annotations

import random

from simulators.fleet import BuildingSpec, ChargingStationSpec, CompoundSpec, Fleet

CITY_LAT, CITY_LON = 31.2304, 121.4737  # Shanghai; compounds within ~15 km


def synthetic_compound(rng: random.Random, index: int) -> CompoundSpec:
    cid = f"c{index:04d}"
    n_buildings = rng.randint(1, 3)
    gateways = [f"{cid}-gw{i}" for i in range(1, n_buildings + 2)]
    buildings = tuple(
        BuildingSpec(
            id=f"b{i}",
            gateway=gateways[i - 1],
            floors=rng.randint(4, 8),
            units_per_floor=rng.choice((2, 2, 3)),
            evacuation_exits=2,
            unit_entrances=1,
        )
        for i in range(1, n_buildings + 1)
    )
    station = ChargingStationSpec(
        id="cs1",
        gateway=gateways[-1],
        shed="shed1",
        ports=rng.choice((6, 8, 10, 12)),
        building=None,
    )
    return CompoundSpec(
        id=cid,
        name=f"synthetic compound {index}",
        lat=round(CITY_LAT + rng.uniform(-0.13, 0.13), 5),
        lon=round(CITY_LON + rng.uniform(-0.15, 0.15), 5),
        gateways=tuple(gateways),
        buildings=buildings,
        charging_stations=(station,),
        gates=rng.randint(1, 3),
        gate_gateway=gateways[-1],
    )


def synthetic_fleet(compounds: int, seed: int = 1) -> Fleet:
    rng = random.Random(f"fleet:{seed}")
    return Fleet(compounds=tuple(synthetic_compound(rng, i) for i in range(1, compounds + 1)))
