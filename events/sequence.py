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
