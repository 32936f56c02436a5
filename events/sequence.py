"""Completeness records: gaps and duplicates in a device's sequence numbers, seen by ingest.

A lost reading from a smoke detector is itself a safety fact, so these travel on their own
topic for the detectors (sequence-gap alerts) and for the operators (counts reconcile).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AnomalyType(StrEnum):
    GAP = "gap"  # seq jumped forward: readings between were never seen (yet)
    DUPLICATE = "duplicate"  # seq seen before (QoS1 redelivery, replay): passed on, flagged
    RESET = "reset"  # seq went far backwards: the device restarted its counter
    LATE = "late"  # a seq reported missing by an earlier gap arrived after all: gap healed
    # A known device sent a value outside the physical range (`field`, `value`): the reading
    # is dead-lettered, and this record tells the detectors the sensor failed (DOMAIN.md §6).
    OUT_OF_RANGE = "out_of_range"


class SequenceAnomaly(BaseModel):
    model_config = ConfigDict(frozen=True)

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
