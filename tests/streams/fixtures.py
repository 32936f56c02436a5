"""Reading builders and dataset loaders for the stream tests (a fake clock is just numbers)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from aiokafka.structs import ConsumerRecord

from events.alerts import Alert
from events.connections import KafkaConnection
from events.incidents import (
    ConditionRef,
    IncidentAction,
    IncidentPlace,
    IncidentState,
    IncidentUpdate,
    PlaceScope,
)
from events.readings import (
    ChargingPortReading,
    DoorEvent,
    Heartbeat,
    PortState,
    RelayState,
    SmokeReading,
)
from streams.app import Worker, build_app
from streams.config import StreamsConfig
from streams.faust_compat import FastConsumer

T0 = 1_800_000_000.0  # a fixed epoch: tests never read the wall clock


def one_by_one(worker: Worker) -> Any:
    """A `Sender.send_batches` that hands each record to the worker's `send` (the signals
    are batched: Sender.send_keyed), so a test that records `send` sees them too."""

    async def send_batches(topic: str, records: Any) -> list[Any]:
        send = worker.sender.send  # looked up per call: the test's patch of it
        return [await send(topic, key, value, partition=p) for key, value, p in records]

    return send_batches


def at(t_s: float) -> datetime:
    return datetime.fromtimestamp(T0 + t_s, tz=UTC)


_PLACE = frozenset({"compound_id", "gateway_id", "building_id", "area_id", "floor"})


def _base(device_id: str, seq: int, t_s: float, **place: Any) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "compound_id": place.pop("compound_id", "c1"),
        "gateway_id": place.pop("gateway_id", "gw1"),
        "seq": seq,
        "observed_at": at(t_s),
        "building_id": place.pop("building_id", "b1"),
        "area_id": place.pop("area_id", "a1"),
        "floor": place.pop("floor", 1),
        **place,
    }


def smoke(
    device_id: str, seq: int, t_s: float, temp_c: float = 21.0, obs: float = 0.0, **extra: Any
) -> SmokeReading:
    fields = {
        k: extra.pop(k) for k in list(extra) if k in SmokeReading.model_fields and k not in _PLACE
    }
    return SmokeReading(
        **_base(device_id, seq, t_s, **extra),
        temperature_c=temp_c,
        obscuration_db_per_m=obs,
        battery_pct=fields.pop("battery_pct", 90.0),
        **fields,
    )


def port(
    device_id: str,
    seq: int,
    t_s: float,
    *,
    temp_c: float = 25.0,
    voltage_v: float = 54.0,
    current_a: float = 2.0,
    power_w: float = 108.0,
    state: PortState = PortState.CHARGING,
    **extra: Any,
) -> ChargingPortReading:
    fields = {
        k: extra.pop(k)
        for k in list(extra)
        if k in ChargingPortReading.model_fields and k not in _PLACE
    }
    return ChargingPortReading(
        **_base(device_id, seq, t_s, **extra),
        station_id="st1",
        port_no=1,
        voltage_v=voltage_v,
        current_a=current_a,
        power_w=power_w,
        energy_wh=0.0,
        socket_temp_c=temp_c,
        leakage_ma=fields.pop("leakage_ma", 0.0),
        port_state=state,
        relay_state=fields.pop("relay_state", RelayState.ON),
        **fields,
    )


def door(device_id: str, seq: int, t_s: float, **fields: Any) -> DoorEvent:
    place = {k: fields.pop(k) for k in ("building_id", "area_id", "floor") if k in fields}
    return DoorEvent(**_base(device_id, seq, t_s, **place), **fields)


def heartbeat(
    device_id: str, seq: int, t_s: float, interval_s: float = 60.0, **fields: Any
) -> Heartbeat:
    place = {k: fields.pop(k) for k in ("gateway_id", "building_id") if k in fields}
    return Heartbeat(**_base(device_id, seq, t_s, **place), interval_s=interval_s, **fields)


def ulfsri_rooms(path: Path) -> dict[str, list[tuple[float, float]]]:
    """Ceiling (0.02 m below) temperature per room: [(time_s from ignition, temp_c)]."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        cols = {
            i: h.split(" Temperature")[0].strip()
            for i, h in enumerate(header)
            if "Temperature 0.02 m Below Ceiling" in h
        }
        rooms: dict[str, list[tuple[float, float]]] = {name: [] for name in cols.values()}
        for row in reader:
            t_s = float(row[0])
            for i, name in cols.items():
                try:
                    rooms[name].append((t_s, float(row[i])))
                except (ValueError, IndexError):
                    continue
    return rooms


def runaway_curve(path: Path) -> list[tuple[float, float]]:
    """(time_s, temp_c) of an ARC runaway curve (temperature in K in the file)."""
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out.append((float(parts[0]), float(parts[1]) - 273.15))
    return out


def samsung_temps(path: Path) -> list[tuple[float, float, float]]:
    """(time_s, voltage_v, cell_temp_c) at 1 Hz."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [(float(r[0]), float(r[2]), float(r[4])) for r in csv.reader(fh)]


def records(
    topic: str, values: list[bytes], *, partition: int = 0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Kafka records as a lane receives them from the consumer, offsets 0, 1, 2, ..."""
    return [
        ConsumerRecord(
            topic=topic,
            partition=partition,
            offset=offset,
            timestamp=0,
            timestamp_type=0,
            key=None,
            value=value,
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=len(value),
            headers=(),
        )
        for offset, value in enumerate(values)
    ]


def resolution(
    conditions: list[Alert], *, incident_key: str = "c1/building:b1@x", seq: int = 9
) -> IncidentUpdate:
    """What dispatch publishes when a duty member resolves an incident owning `conditions`."""
    first = conditions[0]
    at_time = max(a.raised_at for a in conditions)
    return IncidentUpdate(
        incident_key=incident_key,
        seq=seq,
        place=IncidentPlace(
            compound_id=first.compound_id,
            scope=PlaceScope.BUILDING,
            place_id=first.building_id or "-",
            building_id=first.building_id,
        ),
        severity=first.severity,
        state=IncidentState.RESOLVED,
        title="fire",
        opened_at=first.raised_at,
        raised_at=first.raised_at,
        conditions=tuple(
            ConditionRef(
                condition_key=a.condition_key,
                kind=a.kind,
                severity=a.severity,
                status=a.status,
                device_id=a.device_id,
                area_id=a.area_id,
                raised_at=a.raised_at,
            )
            for a in conditions
        ),
        action=IncidentAction.RESOLVE,
        from_state=IncidentState.ASSESSED,
        actor="duty:li",
        at=at_time,
        source="console",
    )


def fast_consumer(app_id: str, acking_topic: str) -> FastConsumer:
    """A built, never started worker's consumer, acking `acking_topic` as the conductor
    does once it subscribes (the lanes' bookkeeping without a broker)."""
    worker = build_app(StreamsConfig(app_id=app_id), KafkaConnection())
    built = worker.app.consumer
    assert isinstance(built, FastConsumer)
    conductor: Any = built.app.topics
    conductor._acking_topics = {acking_topic}
    return built


@contextmanager
def recording(worker: Worker, send: AsyncMock) -> Iterator[None]:
    """Everything the worker produces goes to `send` instead, alerts (their own producer:
    streams/priority_producer.py) and the rest alike, with (topic, key, value) first."""
    with patch.object(worker.sender, "send", send), patch.object(worker.alerts, "send", send):
        yield
