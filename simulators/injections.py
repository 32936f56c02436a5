"""Turn a scenario's injections into device windows, actions and delivery faults."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulators.calibration import load_calibration
from simulators.delivery import Action
from simulators.devices.base import Window
from simulators.devices.charging import ChargingPort
from simulators.engine import Simulation

INF = float("inf")


class InjectionKind(StrEnum):
    FLAT_FIRE = "flat_fire"
    SMOULDERING_FIRE = "smouldering_fire"
    COOKING_SMOKE = "cooking_smoke"
    THERMAL_RUNAWAY = "thermal_runaway"
    POWER_AFTER_FULL = "power_after_full"
    LONG_CHARGE = "long_charge"
    PROPPED_DOOR = "propped_door"
    FORCED_DOOR = "forced_door"
    GATEWAY_OUTAGE = "gateway_outage"
    STUCK_SENSOR = "stuck_sensor"
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    CLOCK_SKEW = "clock_skew"
    DUPLICATE_DELIVERY = "duplicate_delivery"
    OUT_OF_ORDER = "out_of_order"


class Injection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: InjectionKind
    at_s: float = Field(ge=0)
    duration_s: float | None = Field(default=None, gt=0)
    device: str | None = None
    gateway: str | None = None  # "compound/gateway" for gateway outages
    params: dict[str, Any] = Field(default_factory=dict)


def _end(inj: Injection) -> float:
    return inj.at_s + inj.duration_s if inj.duration_s else INF


def _ramp(ramp_s: float) -> list[tuple[float, float]]:
    return [(0.0, 0.0), (ramp_s, 1.0)]


def _device(inj: Injection) -> str:
    if not inj.device:
        raise ValueError(f"injection {inj.kind} needs a device")
    return inj.device


def flat_fire(sim: Simulation, inj: Injection) -> None:
    """UL FSRI ceiling temperatures: the flat's detector sees the room of origin, the corridor
    detector on the same floor sees the hall curve of the same test."""
    cal = load_calibration()
    device = _device(inj)
    spec = sim.fleet.device(device)
    room = str(inj.params.get("room", "origin"))
    sim.model(device).inject("fire", Window(inj.at_s, _end(inj), {"curve": cal.fire_curve(room)}))
    corridor = f"{spec.compound_id}-{spec.building_id}-f{spec.floor}-cor-smk"
    if corridor in sim.index and corridor != device:
        params = {"curve": cal.fire_curve("hall"), "scale": 0.5}
        sim.model(corridor).inject("fire", Window(inj.at_s + 20.0, _end(inj), params))


def smouldering(sim: Simulation, inj: Injection) -> None:
    # Smouldering: smoke and CO for tens of minutes with little heat (Gottuk 2002, DOMAIN.md §3).
    params = {
        "curve": _ramp(float(inj.params.get("ramp_s", 1200.0))),
        "peak_db_per_m": float(inj.params.get("peak_db_per_m", 0.6)),
        "peak_rise_c": 3.0,
        "peak_co_ppm": float(inj.params.get("peak_co_ppm", 80.0)),
    }
    sim.model(_device(inj)).inject("smoke", Window(inj.at_s, _end(inj), params))


def cooking(sim: Simulation, inj: Injection) -> None:
    # Shape of the largest particle excursion of the smoke-iot data (a nuisance-like event),
    # scaled to a pre-alarm-level obscuration with no CO and little heat (UL 217 cooking test).
    params = {
        "curve": load_calibration().nuisance_shape,
        "peak_db_per_m": float(inj.params.get("peak_db_per_m", 0.12)),
        "peak_rise_c": 2.5,
        "peak_co_ppm": 3.0,
    }
    sim.model(_device(inj)).inject("shape", Window(inj.at_s, _end(inj), params))


def thermal_runaway(sim: Simulation, inj: Injection) -> None:
    device = _device(inj)
    port = sim.model(device)
    preheat_s = float(inj.params.get("preheat_s", 600.0))
    if not isinstance(port, ChargingPort):
        raise ValueError(f"{device} is not a charging port")
    port.schedule(max(0.0, inj.at_s - 1.0), "session", {"duration_s": 4 * 3600.0, "cc_a": 4.0})
    port.inject("runaway", Window(inj.at_s, INF, {"preheat_s": preheat_s}))
    shed = f"{sim.fleet.device(device).area_id}-smk"
    if shed in sim.index:
        smoke_at = inj.at_s + preheat_s + float(inj.params.get("smoke_delay_s", 20.0))
        params = {
            "curve": _ramp(60.0),
            "peak_db_per_m": 3.0,
            "peak_rise_c": 25.0,
            "peak_co_ppm": 150.0,
        }
        sim.model(shed).inject("smoke", Window(smoke_at, INF, params))


def power_after_full(sim: Simulation, inj: Injection) -> None:
    charge_s = float(inj.params.get("charge_s", 1800.0))
    port = sim.model(_device(inj))
    port.schedule(inj.at_s, "session", {"duration_s": charge_s, "cc_a": 3.0})
    params = {"power_w": float(inj.params.get("power_w", 150.0))}
    port.inject("after_full", Window(inj.at_s + charge_s, _end(inj), params))


def long_charge(sim: Simulation, inj: Injection) -> None:
    duration_s = inj.duration_s or 9 * 3600.0
    sim.model(_device(inj)).schedule(inj.at_s, "session", {"duration_s": duration_s, "cc_a": 1.5})


def propped_door(sim: Simulation, inj: Injection) -> None:
    sim.model(_device(inj)).schedule(inj.at_s, "prop_open", {"duration_s": inj.duration_s or 600.0})


def forced_door(sim: Simulation, inj: Injection) -> None:
    sim.model(_device(inj)).schedule(inj.at_s, "force_open", {"duration_s": inj.duration_s or 20.0})


def gateway_outage(sim: Simulation, inj: Injection) -> None:
    if not inj.gateway or "/" not in inj.gateway:
        raise ValueError("gateway_outage needs gateway: compound/gateway")
    compound, gateway = inj.gateway.split("/", 1)
    key = (compound, gateway)
    if key not in sim.gateways:
        raise ValueError(f"no gateway {inj.gateway} in the fleet")
    end_s = _end(inj)
    sim.delivery.outages.setdefault(key, []).append(Window(inj.at_s, end_s))
    sim.add_control(inj.at_s, Action.DROP, key)
    sim.add_control(end_s, Action.RECONNECT, key)


def _window(name: str, **params: object) -> Callable[[Simulation, Injection], None]:
    def apply(sim: Simulation, inj: Injection) -> None:
        merged = {**params, **inj.params}
        sim.model(_device(inj)).inject(name, Window(inj.at_s, _end(inj), merged))

    return apply


def clock_skew(sim: Simulation, inj: Injection) -> None:
    sim.add_skew(_device(inj), inj.at_s, _end(inj), float(inj.params.get("skew_s", 900.0)))


def duplicates(sim: Simulation, inj: Injection) -> None:
    sim.delivery.duplicates.setdefault(_device(inj), []).append(Window(inj.at_s, _end(inj)))


def out_of_order(sim: Simulation, inj: Injection) -> None:
    end_s = _end(inj)
    sim.delivery.reorders.setdefault(_device(inj), []).append(Window(inj.at_s, end_s))
    if end_s != INF:
        sim.add_control(end_s, "flush_held", None)


APPLY: dict[InjectionKind, Callable[[Simulation, Injection], None]] = {
    InjectionKind.FLAT_FIRE: flat_fire,
    InjectionKind.SMOULDERING_FIRE: smouldering,
    InjectionKind.COOKING_SMOKE: cooking,
    InjectionKind.THERMAL_RUNAWAY: thermal_runaway,
    InjectionKind.POWER_AFTER_FULL: power_after_full,
    InjectionKind.LONG_CHARGE: long_charge,
    InjectionKind.PROPPED_DOOR: propped_door,
    InjectionKind.FORCED_DOOR: forced_door,
    InjectionKind.GATEWAY_OUTAGE: gateway_outage,
    InjectionKind.STUCK_SENSOR: _window("stuck"),
    InjectionKind.LOW_BATTERY: _window("battery", pct=7.0),
    InjectionKind.TAMPER: _window("tamper"),
    InjectionKind.CLOCK_SKEW: clock_skew,
    InjectionKind.DUPLICATE_DELIVERY: duplicates,
    InjectionKind.OUT_OF_ORDER: out_of_order,
}


def apply_injection(sim: Simulation, inj: Injection) -> None:
    APPLY[inj.kind](sim, inj)
