"""How messages leave a gateway: outages that buffer then burst, QoS1 redelivery, reordering.

Pure: it rewrites a stream of `Emission`s. The live adapter performs the connection actions
(`DROP` disconnects with the will message, `RECONNECT` connects again) on real MQTT clients.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from simulators.devices.base import Window

GatewayKey = tuple[str, str]  # (compound_id, gateway_id)


class Action(StrEnum):
    PUBLISH = "publish"
    DROP = "drop"  # the gateway loses its connection: the broker publishes its last will
    RECONNECT = "reconnect"  # the gateway is back: retained "online", then its backlog


@dataclass(frozen=True, slots=True)
class Emission:
    """One message as the broker would receive it, at simulated time `t_s`."""

    t_s: float
    topic: str
    payload: bytes
    gateway: GatewayKey
    qos: int = 1
    retain: bool = False
    action: Action = Action.PUBLISH
    device_id: str = ""
    is_redelivery: bool = False


def _active(windows: list[Window] | None, t_s: float) -> bool:
    return any(w.is_active(t_s) for w in windows or ())


class Delivery:
    def __init__(self) -> None:
        self.outages: dict[GatewayKey, list[Window]] = {}
        self.duplicates: dict[str, list[Window]] = {}
        self.reorders: dict[str, list[Window]] = {}
        self.backlog: dict[GatewayKey, list[Emission]] = {}
        self.held: dict[str, Emission] = {}

    def is_offline(self, gateway: GatewayKey, t_s: float) -> bool:
        return _active(self.outages.get(gateway), t_s)

    def route(self, e: Emission) -> list[Emission]:
        """What leaves the gateway now for one message produced by a device."""
        if self.is_offline(e.gateway, e.t_s):
            self.backlog.setdefault(e.gateway, []).append(e)
            return []
        out = [e]
        if _active(self.reorders.get(e.device_id), e.t_s):
            held = self.held.pop(e.device_id, None)
            if held is None:
                self.held[e.device_id] = e
                return []
            out = [e, replace(held, t_s=e.t_s)]  # the later message overtakes the earlier
        if _active(self.duplicates.get(e.device_id), e.t_s):
            # QoS1 redelivery after a lost PUBACK: the same bytes (same seq) arrive twice.
            out = [x for m in out for x in (m, replace(m, is_redelivery=True))]
        return out

    def flush_held(self, t_s: float) -> list[Emission]:
        out = [replace(e, t_s=t_s) for e in self.held.values()]
        self.held.clear()
        return out

    def flush_backlog(self, gateway: GatewayKey, t_s: float) -> list[Emission]:
        """The burst on reconnect: every buffered message, in order, now."""
        return [replace(e, t_s=t_s) for e in self.backlog.pop(gateway, [])]
