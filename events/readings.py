"""Device readings as they travel from the gateways: one pydantic model per `kind`.

Invariants: every reading names its device, compound and gateway, carries a per-device `seq`
(monotonic on the device) and `observed_at` (device clock, timezone-aware). The bridge adds
`received_at` (bridge clock). Units live in field names. Ranges are physical limits, not alarm
thresholds: a value outside them cannot come from a working sensor and is dead-lettered.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Identifiers appear in MQTT topic levels and Kafka keys: no '/', '+', '#' or whitespace.
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _ReadingBase(BaseModel):
    # Unknown fields are ignored, not rejected: adding an optional field keeps the schema
    # version (ARCHITECTURE.md, contracts). NaN and Infinity are never a measurement.
    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    device_id: Identifier
    compound_id: Identifier
    gateway_id: Identifier
    seq: int = Field(ge=0, le=2**63 - 1)
    observed_at: AwareDatetime
    received_at: AwareDatetime | None = None
    # Placement, when the gateway knows it: detectors use it for "two detectors in the same
    # area" (GB 50116-2013 §4.1.6) and "fire in this building" door rules.
    building_id: Identifier | None = None
    floor: int | None = Field(default=None, ge=-10, le=200)
    area_id: Identifier | None = None

    @property
    def event_id(self) -> str:
        """Stable id of this reading: device id and seq. Consumers deduplicate by it."""
        return f"{self.device_id}:{self.seq}"


class SmokeAlarmState(StrEnum):
    NORMAL = "normal"
    PRE_ALARM = "pre_alarm"
    ALARM = "alarm"
    FAULT = "fault"


class SmokeReading(_ReadingBase):
    """A point smoke detector (optionally with heat and CO cells)."""

    kind: Literal["smoke"] = "smoke"
    # GB 4715-2024 §5.7: type A responds at >= 0.05 dB/m; a chamber saturates well below 30.
    obscuration_db_per_m: float = Field(ge=0.0, le=30.0)
    # Ceiling gas in a flashover passes 600 C (UL FSRI tests); sensors stop reporting near 1200.
    temperature_c: float = Field(ge=-50.0, le=1200.0)
    co_ppm: float | None = Field(default=None, ge=0.0, le=50_000.0)
    battery_pct: float = Field(ge=0.0, le=100.0)
    is_tampered: bool = False
    alarm_state: SmokeAlarmState = SmokeAlarmState.NORMAL
    is_self_test: bool = False


class PortState(StrEnum):
    IDLE = "idle"
    CHARGING = "charging"
    FULL = "full"
    FAULT = "fault"


class RelayState(StrEnum):
    ON = "on"
    OFF = "off"


class ChargingPortReading(_ReadingBase):
    """One port of a centralised e-bike charging station."""

    kind: Literal["charging_port"] = "charging_port"
    station_id: Identifier
    port_no: int = Field(ge=0, le=512)
    # E-bike packs are <= 60 V (GB 43854-2024); mains-side ports report up to 250 V.
    voltage_v: float = Field(ge=0.0, le=300.0)
    current_a: float = Field(ge=0.0, le=100.0)
    power_w: float = Field(ge=0.0, le=25_000.0)
    energy_wh: float = Field(ge=0.0, le=1_000_000.0)
    socket_temp_c: float = Field(ge=-50.0, le=1200.0)
    leakage_ma: float = Field(ge=0.0, le=100_000.0)
    port_state: PortState
    relay_state: RelayState
    session_id: Identifier | None = None
    # Optional, where the cabinet or charger reports them (added without a version bump:
    # optional fields keep the schema version, ARCHITECTURE.md contracts).
    # The pack's own DC voltage as the charger measures it. `voltage_v` may be the mains side
    # of the port (230 V), where a cell shorting inside the pack is invisible.
    pack_voltage_v: float | None = Field(default=None, ge=0.0, le=100.0)
    # Battery off-gas in the port's compartment (or the shed, reported by the station
    # controller on each port's reading): a venting Li-ion cell releases electrolyte vapour
    # (VOC, isobutylene-equivalent ppm), H2 and CO before and during runaway (DOMAIN.md §4).
    # They ride on the port reading so the runaway rule fuses gas, temperature and voltage of
    # one compartment, sampled together, without a join across devices.
    h2_ppm: float | None = Field(default=None, ge=0.0, le=1_000_000.0)
    co_ppm: float | None = Field(default=None, ge=0.0, le=1_000_000.0)
    voc_ppm: float | None = Field(default=None, ge=0.0, le=1_000_000.0)


class DoorType(StrEnum):
    FIRE_DOOR_NC = "fire_door_nc"  # normally-closed fire door (常闭式防火门), GB 50016 §6.5.1
    EVACUATION_EXIT = "evacuation_exit"
    UNIT_ENTRANCE = "unit_entrance"
    GATE = "gate"


class DoorEventType(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    FORCED = "forced"
    HELD_OPEN = "held_open"
    CARD_GRANTED = "card_granted"
    CARD_DENIED = "card_denied"
    LOCKS_RELEASED = "locks_released"
    LOCKS_ENGAGED = "locks_engaged"


class DoorEvent(_ReadingBase):
    """A door or access-control event."""

    kind: Literal["door"] = "door"
    door_type: DoorType
    event: DoorEventType
    is_open: bool
    are_locks_released: bool = False
    card_id: Identifier | None = None
    # Lift-blocking cameras: e-bikes in lifts are banned (广东 draft 2024, DOMAIN.md §5).
    is_ebike_in_lift: bool | None = None


class GatewayState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class GatewayStatus(_ReadingBase):
    """Gateway liveness: retained on the gateway's status topic, and its last will (offline).

    `device_id` is the gateway id. Not sequence-checked: retained copies are redelivered on
    every subscribe, and the will's seq is fixed when the gateway connects.
    """

    kind: Literal["gateway_status"] = "gateway_status"
    state: GatewayState
    is_last_will: bool = False
    device_count: int | None = Field(default=None, ge=0, le=100_000)


class Heartbeat(_ReadingBase):
    """A periodic 'I am alive' from a device or a gateway (60 s precedent, GB/T 28181)."""

    kind: Literal["heartbeat"] = "heartbeat"
    interval_s: float = Field(gt=0.0, le=86_400.0)
    battery_pct: float | None = Field(default=None, ge=0.0, le=100.0)
    rssi_dbm: float | None = Field(default=None, ge=-150.0, le=0.0)
    firmware: str | None = Field(default=None, max_length=64)
    is_test_mode: bool = False


class DeviceAlarmType(StrEnum):
    SMOKE = "smoke"
    HEAT = "heat"
    CO = "co"
    THERMAL_RUNAWAY = "thermal_runaway"
    LEAKAGE = "leakage"
    OVER_TEMPERATURE = "over_temperature"
    MANUAL_CALL_POINT = "manual_call_point"
    DOOR_FORCED = "door_forced"
    TAMPER = "tamper"


class DeviceAlarm(_ReadingBase):
    """An alarm the device raised itself. Travels on the priority topic (GB 26875.1 §4.1.2.3:
    fire alarms pre-empt all other traffic)."""

    kind: Literal["device_alarm"] = "device_alarm"
    alarm_type: DeviceAlarmType
    is_active: bool = True
    value: float | None = None
    detail: str | None = Field(default=None, max_length=500)


Reading = Annotated[
    SmokeReading | ChargingPortReading | DoorEvent | GatewayStatus | Heartbeat | DeviceAlarm,
    Field(discriminator="kind"),
]
"""Any message a gateway publishes, told apart by `kind`."""

READING_MODELS: tuple[type[_ReadingBase], ...] = (
    SmokeReading,
    ChargingPortReading,
    DoorEvent,
    GatewayStatus,
    Heartbeat,
    DeviceAlarm,
)

SENSOR_FIELDS: frozenset[str] = frozenset(
    {
        "obscuration_db_per_m",
        "temperature_c",
        "co_ppm",
        "battery_pct",
        "voltage_v",
        "current_a",
        "power_w",
        "energy_wh",
        "socket_temp_c",
        "leakage_ma",
        "pack_voltage_v",
        "h2_ppm",
        "voc_ppm",
        "rssi_dbm",
    }
)
"""Fields a sensor measures: a value outside their physical range means the sensor failed
(a fault for maintenance), where an out-of-range `seq` or `floor` is only a malformed message."""

PRIORITY_KINDS: frozenset[str] = frozenset({"device_alarm"})
"""Kinds that go to the priority topic, never behind telemetry."""


def is_priority(reading: _ReadingBase) -> bool:
    return getattr(reading, "kind", "") in PRIORITY_KINDS
