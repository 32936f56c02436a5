"""The compound stage: rules that need more than one device.

Two detectors in one area confirm a fire at once (GB 50116-2013 §4.1.6, AND of two independent
devices); smoke where ports charge cuts their power; during a fire in a building every fire
door and evacuation exit reports its linkage read-back (rules_doors); a gateway outage is one
alert, not one per device (DOMAIN.md §6). Input: signals, emitted by the device stage only on
change, so this state is small and its traffic low.

Signals arrive in processing order, which is not device time: the readings and priority lanes
overtake each other under load. A rule that joins facts therefore dates its finding by the
facts (the moment they all held), never by the signal that happened to complete the picture.
"""

from __future__ import annotations

from events.alerts import AlertKind, LinkageAction, LinkageRequest
from streams.detectors import neighbours
from streams.detectors.compound_state import CompoundState, DeviceFact, FireArea
from streams.detectors.config import DetectorSettings
from streams.detectors.model import Finding, FireLevel, Outcome, Place, Signal, SignalKind
from streams.detectors.rules_doors import check_building_doors

_ALARMED = (FireLevel.PRE_ALARM.value, FireLevel.ALARM.value)
# The signal kinds on_signal tells apart for every signal, as module constants: an Enum's
# class attribute costs ~150 ns on Python 3.11 (EnumType.__getattr__'s slot hook).
_FIRE_LEVEL, _HEAT_RISE, _FAULT = SignalKind.FIRE_LEVEL, SignalKind.HEAT_RISE, SignalKind.FAULT
_PORT, _DOOR, _SILENCE = SignalKind.PORT, SignalKind.DOOR, SignalKind.SILENCE


class CompoundEngine:
    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.cfg = settings or DetectorSettings()

    def on_signal(self, cs: CompoundState, s: Signal) -> Outcome:
        out = Outcome()
        place = s.place
        if s.kind is _FIRE_LEVEL:
            _put(cs.alarmed, s, is_kept=s.level in _ALARMED, level=s.level)
            self._area_rules(cs, place.compound_id, place.building_id, place.area_id, out=out)
            neighbours.on_fire_level(cs, s, out=out)
        elif s.kind in (_HEAT_RISE, _FAULT):
            neighbours.on_signal(cs, s, out=out)
        elif s.kind is _PORT:
            _put(cs.charging, s, is_kept=s.flag)
            self._area_rules(cs, place.compound_id, place.building_id, place.area_id, out=out)
        elif s.kind is _DOOR:
            fact = _put(cs.doors, s, is_kept=True, is_open=s.flag, door_type=s.level)
            assert fact is not None
            fact.are_locks_released = s.is_locks_released
            check_building_doors(cs, place.compound_id, place.building_id, out=out, only=fact)
        elif s.kind is _SILENCE:
            self._silence(cs, s, out=out)
        else:
            self._gateway(cs, place.compound_id, s.device_id, s.flag, s.at_s, out=out)
        return out

    def on_reset(self, cs: CompoundState, key: str, at_s: float) -> Outcome:
        """A person resolved the condition `key` held here: forget the rule edges behind it, so
        the same rule raises again on new evidence; doors stop reporting for a fire gone."""
        out = Outcome()
        compound, building, kind, subject = key.split("/", 3)
        if kind == AlertKind.FIRE.value:
            cs.fire_areas.pop(subject, None)
            cs.edges.discard(f"fire|{subject}")
        elif kind == AlertKind.SMOKE_NEAR_CHARGING.value:
            cs.edges = {e for e in cs.edges if not e.startswith(f"smoke_near_charging|{subject}|")}
        where = None if building == "-" else building
        check_building_doors(cs, compound, where, out=out, at_s=at_s)
        return out

    def _area_rules(
        self,
        cs: CompoundState,
        compound: str,
        building: str | None,
        area: str | None,
        *,
        out: Outcome,
    ) -> None:
        alarmed = [
            d
            for d in cs.alarmed.values()
            if d.place.area_id == area and d.place.building_id == building
        ]
        if area is not None and alarmed:  # no smoke in the area: no rule of it can hold
            place = Place(compound, None, building, alarmed[0].place.floor, area)
            self._two_detectors(cs, place, alarmed, out=out)
            self._smoke_near_charging(cs, place, alarmed, out=out)
        check_building_doors(cs, compound, building, out=out)

    def _two_detectors(
        self, cs: CompoundState, place: Place, alarmed: list[DeviceFact], *, out: Outcome
    ) -> None:
        newest_s = max(d.at_s for d in alarmed)
        window_s = self.cfg.area.two_detector_window_s
        recent = [d for d in alarmed if d.at_s >= newest_s - window_s or d.level == "alarm"]
        subject = f"area:{place.area_id}"
        if len({d.device_id for d in recent}) < 2 or not cs.edge(f"fire|{subject}", True):
            return
        ids = ", ".join(sorted(d.device_id for d in recent))
        # The second detector's time: when the AND of two devices first held.
        held_s = sorted(d.at_s for d in recent)[1]
        out.findings.append(
            Finding(
                AlertKind.FIRE,
                subject,
                place,
                held_s,
                stage="two detectors",
                summary=f"fire confirmed by two detectors: {ids}",
            )
        )
        cs.fire_areas[subject] = FireArea(place.building_id, held_s)

    def _smoke_near_charging(
        self, cs: CompoundState, place: Place, alarmed: list[DeviceFact], *, out: Outcome
    ) -> None:
        ports = sorted(
            (
                p
                for p in cs.charging.values()
                if p.place.area_id == place.area_id and p.place.building_id == place.building_id
            ),
            key=lambda p: p.device_id,
        )
        if not ports:
            return
        subject = f"area:{place.area_id}"
        key = f"smoke_near_charging|{subject}|" + ",".join(p.device_id for p in ports)
        if not cs.edge(key, True):
            return
        link = tuple(
            LinkageRequest(
                action=LinkageAction.CUT_POWER,
                device_id=p.device_id,
                gateway_id=p.place.gateway_id or "",
                reason="smoke near a charging port",
            )
            for p in ports
        )
        # Smoke while ports charge: it holds from when both were true (the later of the first
        # smoke and the first charging port), whatever order their signals were processed in.
        held_s = max(min(d.at_s for d in alarmed), min(p.at_s for p in ports))
        out.findings.append(
            Finding(
                AlertKind.SMOKE_NEAR_CHARGING,
                subject,
                place,
                held_s,
                stage=f"{len(ports)} ports",
                linkage=link,
                summary=f"smoke in {place.area_id} while {len(ports)} "
                "port(s) charge: cutting their power",
            )
        )

    def _silence(self, cs: CompoundState, s: Signal, *, out: Outcome) -> None:
        if s.is_gateway:
            self._gateway(cs, s.place.compound_id, s.device_id, s.flag, s.at_s, out=out)
            return
        if s.flag:
            fact = DeviceFact.of(s)
            fact.due_s = s.at_s + self.cfg.health.gateway_grace_s
            cs.silent[s.device_id] = fact
            return
        cs.silent.pop(s.device_id, None)
        if cs.edge(f"offline|{s.device_id}", False):
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
        cs: CompoundState,
        compound: str,
        gateway_id: str,
        is_offline: bool,
        t_s: float,
        *,
        out: Outcome,
    ) -> None:
        if is_offline:
            cs.gateways_offline[gateway_id] = t_s
        else:
            cs.gateways_offline.pop(gateway_id, None)
        if cs.edge(f"gateway|{gateway_id}", is_offline):
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

    def on_tick(self, cs: CompoundState, now_s: float) -> Outcome:
        """Silent devices whose gateway is up after the grace period are offline alone."""
        out = Outcome()
        for device_id, fact in list(cs.silent.items()):
            if fact.due_s is not None and fact.due_s > now_s:
                continue
            del cs.silent[device_id]
            if fact.place.gateway_id in cs.gateways_offline:
                continue  # explained by the gateway's outage: its one alert covers it
            if cs.edge(f"offline|{device_id}", True):
                out.findings.append(
                    Finding(
                        AlertKind.DEVICE_OFFLINE,
                        device_id,
                        fact.place,
                        now_s,
                        stage="offline",
                        summary=f"{device_id} missed its heartbeats",
                    )
                )
        return out


def _put(
    facts: dict[str, DeviceFact],
    s: Signal,
    *,
    is_kept: bool,
    level: str = "",
    is_open: bool = False,
    door_type: str = "",
) -> DeviceFact | None:
    if not is_kept:
        facts.pop(s.device_id, None)
        return None
    fact = DeviceFact.of(s)
    fact.level, fact.is_open, fact.door_type = level, is_open, door_type
    facts[s.device_id] = fact
    return fact
