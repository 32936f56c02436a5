"""Dataset adapters: public data sets -> recordings with ground truth (any file of the same
layout works). Each returns (records, ground truth); `write_dataset_recording` saves them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.codec import encode_model
from events.topics import Channel, MqttTopic
from simulators.recording import Record
from simulators.truth import GroundTruth


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


@dataclass
class Converted:
    records: list[Record]
    truth: GroundTruth
    skipped: int = 0
    source: str = ""


@dataclass
class Emitter:
    """Stamps readings of one compound/gateway with per-device seq and receive time."""

    compound_id: str
    gateway_id: str
    start_at: datetime
    records: list[Record] = field(default_factory=list)
    seq: dict[str, int] = field(default_factory=dict)

    def emit(self, t_s: float, model: type[Any], device_id: str, **fields: Any) -> None:
        seq = self.seq.get(device_id, -1) + 1
        self.seq[device_id] = seq
        observed_at = datetime.fromtimestamp(self.start_at.timestamp() + t_s, self.start_at.tzinfo)
        reading = model(
            device_id=device_id,
            compound_id=self.compound_id,
            gateway_id=self.gateway_id,
            seq=seq,
            observed_at=observed_at,
            **fields,
        )
        topic = MqttTopic.device(self.compound_id, self.gateway_id, device_id, Channel.TELEMETRY)
        self.records.append(Record(self.start_at.timestamp() + t_s, topic, encode_model(reading)))
