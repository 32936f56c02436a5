"""The simulation engine: every device of a fleet on one seeded, simulated timeline.

Deterministic: the same fleet, seed, start time and injections give the same emissions, byte for
byte. Each device has its own RNG seeded from (seed, device id), so adding a device does not
change the others. The engine stamps each message's envelope (ids, placement, per-device
monotonic `seq`, `observed_at` from the device clock, which injected skew can shift).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from events.codec import encode_model
from events.commands import Command
from events.readings import GatewayState, GatewayStatus, Heartbeat
from events.topics import Channel, MqttTopic
from simulators.calibration import Calibration, load_calibration
from simulators.delivery import Action, Delivery, Emission, GatewayKey
from simulators.devices.base import DeviceModel, Intervals, Out
from simulators.devices.charging import ChargingPort
from simulators.devices.doors import Door
from simulators.devices.smoke import SmokeDetector
from simulators.fleet import DeviceKind, DeviceSpec, Fleet

_MODELS: dict[DeviceKind, type[DeviceModel]] = {
    DeviceKind.SMOKE: SmokeDetector,
    DeviceKind.CHARGING_PORT: ChargingPort,
    DeviceKind.DOOR: Door,
}
_CONTROL, _DEVICE, _GATEWAY = 0, 1, 2


class Simulation:
    def __init__(
        self,
        fleet: Fleet,
        seed: int,
        start_at: datetime,
        intervals: Intervals | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.fleet = fleet
        self.seed = seed
        self.start_at = start_at
        self.intervals = intervals or Intervals()
        cal = calibration or load_calibration()
        self.models: list[DeviceModel] = [
            _MODELS[d.kind](d, random.Random(f"{seed}:{d.device_id}"), cal, self.intervals)
            for d in fleet.devices
        ]
        self.index = {m.spec.device_id: i for i, m in enumerate(self.models)}
        self.gateways: list[GatewayKey] = fleet.gateways
        self.gw_devices = {
            gw: sum(1 for d in fleet.devices if (d.compound_id, d.gateway_id) == gw)
            for gw in self.gateways
        }
        self.seq: dict[str, int] = {}
        self.skew: dict[str, list[tuple[float, float, float]]] = {}
        self.delivery = Delivery()
        self.wills: dict[GatewayKey, bytes] = {}
        self._heap: list[tuple[float, int, int, int]] = []
        self._gen: list[int] = [0] * len(self.models)
        self._controls: list[tuple[Action | str, GatewayKey | None]] = []
        self._gw_next_s = [
            random.Random(f"{seed}:{g}").uniform(0, self.intervals.heartbeat_s)
            for _, g in self.gateways
        ]
        self.now_s = 0.0

    # --- set-up --------------------------------------------------------------------------
    def model(self, device_id: str) -> DeviceModel:
        return self.models[self.index[device_id]]

    def add_skew(self, device_id: str, start_s: float, end_s: float, skew_s: float) -> None:
        self.skew.setdefault(device_id, []).append((start_s, end_s, skew_s))

    def add_control(self, t_s: float, action: Action | str, gateway: GatewayKey | None) -> None:
        self._controls.append((action, gateway))
        heapq.heappush(self._heap, (t_s, _CONTROL, len(self._controls) - 1, 0))

    def start(self) -> list[Emission]:
        """Schedule every device; the gateways come online (retained status) at t = 0."""
        for i, m in enumerate(self.models):
            self._push(i, m.next_due_s())
        for i, t in enumerate(self._gw_next_s):
            heapq.heappush(self._heap, (t, _GATEWAY, i, 0))
        return [self.connect(gw, 0.0) for gw in self.gateways]

    def _push(self, i: int, t_s: float) -> None:
        self._gen[i] += 1
        if t_s != float("inf"):
            heapq.heappush(self._heap, (t_s, _DEVICE, i, self._gen[i]))

    # --- envelope ------------------------------------------------------------------------
    def _next_seq(self, device_id: str) -> int:
        seq = self.seq.get(device_id, -1) + 1
        self.seq[device_id] = seq
        return seq

    def _observed_at(self, device_id: str, t_s: float) -> datetime:
        skew_s = sum(s for a, b, s in self.skew.get(device_id, ()) if a <= t_s < b)
        return self.start_at + timedelta(seconds=round(t_s + skew_s, 3))

    def _stamp(self, spec: DeviceSpec, out: Out, t_s: float) -> Emission:
        model = out.model(
            device_id=spec.device_id,
            compound_id=spec.compound_id,
            gateway_id=spec.gateway_id,
            seq=self._next_seq(spec.device_id),
            observed_at=self._observed_at(spec.device_id, t_s),
            building_id=spec.building_id,
            floor=spec.floor,
            area_id=spec.area_id,
            **out.fields,
        )
        topic = MqttTopic.device(spec.compound_id, spec.gateway_id, spec.device_id, out.channel)
        gw = (spec.compound_id, spec.gateway_id)
        return Emission(t_s, topic, encode_model(model), gw, device_id=spec.device_id)

    def _gateway_model(
        self, gw: GatewayKey, t_s: float, state: GatewayState, is_will: bool
    ) -> bytes:
        status = GatewayStatus(
            device_id=gw[1],
            compound_id=gw[0],
            gateway_id=gw[1],
            seq=self._next_seq(gw[1]),
            observed_at=self._observed_at(gw[1], t_s),
            state=state,
            is_last_will=is_will,
            device_count=self.gw_devices[gw],
        )
        return encode_model(status)

    def connect(self, gw: GatewayKey, t_s: float) -> Emission:
        """Online status (retained); reserves the last will the broker will hold meanwhile."""
        payload = self._gateway_model(gw, t_s, GatewayState.ONLINE, False)
        self.wills[gw] = self._gateway_model(gw, t_s, GatewayState.OFFLINE, True)
        topic = MqttTopic.gateway_status(*gw)
        return Emission(
            t_s, topic, payload, gw, retain=True, action=Action.RECONNECT, device_id=gw[1]
        )

    # --- running -------------------------------------------------------------------------
    def next_time_s(self) -> float:
        return self._heap[0][0] if self._heap else float("inf")

    def run_until(self, t_end_s: float) -> Iterator[Emission]:
        """Every emission due up to and including `t_end_s`, in time order."""
        while self._heap and self._heap[0][0] <= t_end_s:
            t_s, kind, i, gen = heapq.heappop(self._heap)
            self.now_s = t_s
            if kind == _CONTROL:
                yield from self._control(t_s, i)
            elif kind == _GATEWAY:
                yield from self._gateway_heartbeat(t_s, i)
            elif gen == self._gen[i]:
                m = self.models[i]
                for out in m.advance(t_s):
                    yield from self.delivery.route(self._stamp(m.spec, out, t_s))
                self._push(i, m.next_due_s())

    def _gateway_heartbeat(self, t_s: float, i: int) -> Iterator[Emission]:
        gw = self.gateways[i]
        heapq.heappush(self._heap, (t_s + self.intervals.heartbeat_s, _GATEWAY, i, 0))
        if self.delivery.is_offline(gw, t_s):
            return
        hb = Heartbeat(
            device_id=gw[1],
            compound_id=gw[0],
            gateway_id=gw[1],
            seq=self._next_seq(gw[1]),
            observed_at=self._observed_at(gw[1], t_s),
            interval_s=self.intervals.heartbeat_s,
        )
        topic = MqttTopic.device(gw[0], gw[1], gw[1], Channel.STATUS)
        yield Emission(t_s, topic, encode_model(hb), gw, device_id=gw[1])

    def _control(self, t_s: float, i: int) -> Iterator[Emission]:
        action, gw = self._controls[i]
        if action == "flush_held":
            yield from self.delivery.flush_held(t_s)
        elif action is Action.DROP and gw is not None:
            topic = MqttTopic.gateway_status(*gw)
            yield Emission(
                t_s, topic, self.wills[gw], gw, retain=True, action=Action.DROP, device_id=gw[1]
            )
        elif action is Action.RECONNECT and gw is not None:
            yield self.connect(gw, t_s)
            yield from self.delivery.flush_backlog(gw, t_s)

    def apply_command(self, cmd: Command, t_s: float) -> list[Emission]:
        """A linkage command reaches its device: the read-back messages it causes, now."""
        if cmd.device_id not in self.index:
            return []
        i = self.index[cmd.device_id]
        m = self.models[i]
        out = [
            e
            for o in m.on_command(cmd.action, t_s)
            for e in self.delivery.route(self._stamp(m.spec, o, t_s))
        ]
        self._push(i, m.next_due_s())
        return out
