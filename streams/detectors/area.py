"""The compound stage: rules that need more than one device.

Two detectors in one area confirm a fire at once (GB 50116-2013 §4.1.6, AND of two independent
devices); smoke where ports charge cuts their power; a confirmed fire in a building makes an open
fire door or engaged evacuation locks a P1 (GB 55024-2022 §5.3.6, GB 50116 §4.10.3); a gateway
outage is one alert, not one per device (DOMAIN.md §6). Input: signals, emitted by the device
stage only on change, so this state is small and its traffic low.
"""

from __future__ import annotations

from typing import Any

from events.alerts import AlertKind, LinkageAction, LinkageRequest
from streams.detectors import neighbours
from streams.detectors.config import DetectorSettings
from streams.detectors.model import Finding, FireLevel, Outcome, Place, Signal, SignalKind
from streams.detectors.rules_doors import check_building_doors

_ALARMED = (FireLevel.PRE_ALARM.value, FireLevel.ALARM.value)


def new_compound_state() -> dict[str, Any]:
    return {
        "fire": {},
        "ports": {},
        "doors": {},
        "pending": {},
        "gw_off": {},
        "active": [],
        "incidents": {},
    }


def _place(d: dict[str, Any], compound_id: str) -> Place:
    return Place(compound_id, d.get("g"), d.get("b"), d.get("f"), d.get("a"), d.get("id"))


def _compact(s: Signal) -> dict[str, Any]:
    p = s.place
    return {
        "id": s.device_id,
        "g": p.gateway_id,
        "b": p.building_id,
        "f": p.floor,
        "a": p.area_id,
        "t": s.at_s,
        "e": s.event_id,
    }


def edge(cs: dict[str, Any], key: str, is_now: bool) -> bool:
    active: list[str] = cs["active"]
    was = key in active
    if is_now and not was:
        active.append(key)
    elif was and not is_now:
        active.remove(key)
    return was != is_now


class CompoundEngine:
    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.cfg = settings or DetectorSettings()

    def on_signal(self, cs: dict[str, Any], s: Signal) -> Outcome:
        out = Outcome()
        compound = s.place.compound_id
        if s.kind is SignalKind.FIRE_LEVEL:
            _put(cs["fire"], s, s.level not in _ALARMED, level=s.level)
            self._area_rules(cs, compound, s.place.building_id, s.place.area_id, s.at_s, out=out)
            neighbours.on_fire_level(cs, s, out=out)
        elif s.kind in (SignalKind.HEAT_RISE, SignalKind.FAULT):
            neighbours.on_signal(cs, s, out=out)
        elif s.kind is SignalKind.PORT:
            _put(cs["ports"], s, not s.flag)
            self._area_rules(cs, compound, s.place.building_id, s.place.area_id, s.at_s, out=out)
        elif s.kind is SignalKind.DOOR:
            _put(cs["doors"], s, False, open=s.flag, type=s.level, locks=s.is_locks_released)
            check_building_doors(cs, compound, s.place.building_id, s.at_s, out=out)
        elif s.kind is SignalKind.SILENCE:
            self._silence(cs, s, out=out)
        else:
            self._gateway(cs, compound, s.device_id, s.flag, s.at_s, out=out)
        return out

    def _area_rules(
        self,
        cs: dict[str, Any],
        compound: str,
        building: str | None,
        area: str | None,
        t_s: float,
        *,
        out: Outcome,
    ) -> None:
        if area is None:
            check_building_doors(cs, compound, building, t_s, out=out)
            return
        alarmed = [d for d in cs["fire"].values() if d.get("a") == area and d.get("b") == building]
        window_s = self.cfg.area.two_detector_window_s
        recent = [d for d in alarmed if d["t"] >= t_s - window_s or d["level"] == "alarm"]
        place = Place(compound, None, building, alarmed[0].get("f") if alarmed else None, area)
        subject = f"area:{area}"
        if len({d["id"] for d in recent}) >= 2 and edge(cs, f"fire|{subject}", True):
            ids = ", ".join(sorted(d["id"] for d in recent))
            out.findings.append(
                Finding(
                    AlertKind.FIRE,
                    subject,
                    place,
                    t_s,
                    stage="two detectors",
                    summary=f"fire confirmed by two detectors: {ids}",
                )
            )
            cs.setdefault("fire_areas", {})[subject] = building
        self._smoke_near_charging(cs, place, subject, alarmed, t_s, out=out)
        check_building_doors(cs, compound, building, t_s, out=out)

    def _smoke_near_charging(
        self,
        cs: dict[str, Any],
        place: Place,
        subject: str,
        alarmed: list[dict[str, Any]],
        t_s: float,
        *,
        out: Outcome,
    ) -> None:
        ports = [
            p
            for p in cs["ports"].values()
            if p.get("a") == place.area_id and p.get("b") == place.building_id
        ]
        if not (alarmed and ports):
            return
        key = f"smoke_near_charging|{subject}|" + ",".join(sorted(p["id"] for p in ports))
        if not edge(cs, key, True):
            return
        link = tuple(
            LinkageRequest(
                action=LinkageAction.CUT_POWER,
                device_id=p["id"],
                gateway_id=p.get("g") or "",
                reason="smoke near a charging port",
            )
            for p in sorted(ports, key=lambda p: str(p["id"]))
        )
        out.findings.append(
            Finding(
                AlertKind.SMOKE_NEAR_CHARGING,
                subject,
                place,
                t_s,
                stage=f"{len(ports)} ports",
                linkage=link,
                summary=f"smoke in {place.area_id} while {len(ports)} "
                "port(s) charge: cutting their power",
            )
        )

    def _silence(self, cs: dict[str, Any], s: Signal, *, out: Outcome) -> None:
        if s.is_gateway:
            self._gateway(cs, s.place.compound_id, s.device_id, s.flag, s.at_s, out=out)
            return
        if s.flag:
            due = s.at_s + self.cfg.health.gateway_grace_s
            cs["pending"][s.device_id] = {**_compact(s), "due": due}
            return
        cs["pending"].pop(s.device_id, None)
        if edge(cs, f"offline|{s.device_id}", False):
            out.findings.append(
                Finding(
                    AlertKind.DEVICE_OFFLINE,
                    s.device_id,
                    s.place,
                    s.at_s,
                    is_active=False,
                    stage="back",
                    summary="device back",
                )
            )

    def _gateway(
        self,
        cs: dict[str, Any],
        compound: str,
        gateway_id: str,
        is_offline: bool,
        t_s: float,
        *,
        out: Outcome,
    ) -> None:
        if is_offline:
            cs["gw_off"][gateway_id] = t_s
        else:
            cs["gw_off"].pop(gateway_id, None)
        if edge(cs, f"gateway|{gateway_id}", is_offline):
            place = Place(compound, gateway_id, device_id=gateway_id)
            out.findings.append(
                Finding(
                    AlertKind.GATEWAY_OFFLINE,
                    gateway_id,
                    place,
                    t_s,
                    is_active=is_offline,
                    stage="offline" if is_offline else "online",
                    summary=f"gateway {gateway_id} "
                    + ("offline: its devices are unreachable" if is_offline else "back online"),
                )
            )

    def on_tick(self, cs: dict[str, Any], compound: str, now_s: float) -> Outcome:
        """Silent devices whose gateway is up after the grace period are offline alone."""
        out = Outcome()
        for device_id, d in list(cs["pending"].items()):
            if d["due"] > now_s:
                continue
            del cs["pending"][device_id]
            if d.get("g") in cs["gw_off"]:
                continue  # explained by the gateway's outage: its one alert covers it
            if edge(cs, f"offline|{device_id}", True):
                out.findings.append(
                    Finding(
                        AlertKind.DEVICE_OFFLINE,
                        device_id,
                        _place(d, compound),
                        now_s,
                        stage="offline",
                        summary=f"{device_id} missed its heartbeats",
                    )
                )
        return out


def _put(table: dict[str, Any], s: Signal, is_removal: bool, **extra: Any) -> None:
    if is_removal:
        table.pop(s.device_id, None)
    else:
        table[s.device_id] = {**_compact(s), **extra}
