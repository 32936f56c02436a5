"""Completeness records: gaps and duplicates in a device's sequence numbers, seen by ingest.

A lost reading from a smoke detector is itself a safety fact, so these travel on their own
topic for the detectors (sequence-gap alerts) and for the operators (counts reconcile).

Schema version 2 (Kafka header `schema_version`): adds the anomaly `healed`. Upgrade from 1:
a consumer that validates `anomaly` against the version-1 values must accept `healed` (the
worker dead-letters what it cannot read, so upgrade the workers before the bridges).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AnomalyType(StrEnum):
    GAP = "gap"  # seq jumped forward: readings between were never seen (yet)
    DUPLICATE = "duplicate"  # seq seen before (QoS1 redelivery, replay): passed on, flagged
    RESET = "reset"  # seq went far backwards: the device restarted its counter
    LATE = "late"  # a seq reported missing by an earlier gap arrived after all
    # A known device sent a value outside the physical range (`field`, `value`): the reading
    # is dead-lettered, and this record tells the detectors the sensor failed (DOMAIN.md §6).
    OUT_OF_RANGE = "out_of_range"
    # Every seq reported missing for the device has arrived (resent by its gateway on the
    # bridge's request, or late): `received_seq` is the one that completed it.
    HEALED = "healed"


class SequenceAnomaly(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_extra={"x-schema-version": "2"})

    SCHEMA_VERSION: ClassVar[str] = "2"

    kind: str = "sequence_anomaly"
    anomaly: AnomalyType
    device_id: str
    compound_id: str
    gateway_id: str
    expected_seq: int
    received_seq: int
    missing_count: int = Field(ge=0)
    detected_at: AwareDatetime
    bridge_id: str
    # OUT_OF_RANGE only (optional fields: the schema version stays): the offending field and
    # number, and where the device is when its payload said so (the fault's place).
    field: str | None = None
    value: float | None = None
    building_id: str | None = None
    area_id: str | None = None
