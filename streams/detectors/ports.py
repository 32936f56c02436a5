"""What the charging-port rules share: the power-cut request, the evidence summary, and edges.

A condition raises once and clears once (edge-triggered findings), so a port reporting every
second during a runaway pages nobody twice for the same condition.
"""

from __future__ import annotations

from collections.abc import Callable

from events.alerts import AlertKind, LinkageAction, LinkageRequest
from events.readings import ChargingPortReading
from streams.detectors.model import Finding, Outcome, Place, evidence
from streams.detectors.state import DeviceState


def cut_power(r: ChargingPortReading, reason: str) -> tuple[LinkageRequest, ...]:
    return cut_power_for(r.device_id, r.gateway_id, reason)


def cut_power_for(device_id: str, gateway_id: str, reason: str) -> tuple[LinkageRequest, ...]:
    return (
        LinkageRequest(
            action=LinkageAction.CUT_POWER,
            device_id=device_id,
            gateway_id=gateway_id,
            reason=reason,
        ),
    )


def port_summary(r: ChargingPortReading) -> dict[str, float | str]:
    out: dict[str, float | str] = {
        "voltage_v": r.voltage_v,
        "current_a": r.current_a,
        "power_w": r.power_w,
        "socket_temp_c": r.socket_temp_c,
        "leakage_ma": r.leakage_ma,
        "port_state": r.port_state.value,
    }
    optional = {
        "pack_voltage_v": r.pack_voltage_v,
        "h2_ppm": r.h2_ppm,
        "co_ppm": r.co_ppm,
        "voc_ppm": r.voc_ppm,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


class PortEdges:
    """Edge-triggered findings for one reading: a condition raises once and clears once."""

    def __init__(
        self, state: DeviceState, r: ChargingPortReading, place: Place, t_s: float, *, out: Outcome
    ) -> None:
        self.state, self.r, self.place, self.t_s, self.out = state, r, place, t_s, out

    def edge(
        self,
        kind: AlertKind,
        is_now: bool,
        describe: Callable[[], str],
        *,
        cut: bool = False,
        stage: str = "",
        **extra: float,
    ) -> bool:
        """`describe` builds the summary only on an edge: this runs for every reading.
        True when the condition changed."""
        if not self.state.set_active(kind, is_now):
            return False
        r = self.r
        summary = describe()
        link = cut_power(r, summary) if cut and is_now else ()
        self.out.findings.append(
            Finding(
                kind,
                r.device_id,
                self.place,
                self.t_s,
                is_active=is_now,
                stage=stage or ("raised" if is_now else "cleared"),
                summary=summary,
                evidence=evidence(r.event_id, r.device_id, self.t_s, **extra, **port_summary(r)),
                linkage=link,
            )
        )
        self.out.is_significant = True
        return True
