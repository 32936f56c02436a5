"""The wire contract: every message that crosses a process boundary, and where it travels.

Stages (`ingest`, `streams`, `alerts`, `simulators`) import this package and nothing of each
other. It imports no client library: models, codec, topic table, MQTT topic scheme, errors.
"""

from events.alerts import (
    Alert,
    AlertKind,
    AlertStatus,
    Evidence,
    LinkageAction,
    LinkageRequest,
    Severity,
    incident_key,
)
from events.codec import decode_reading, encode_model, event_id, kafka_headers
from events.commands import Command
from events.deadletter import DeadLetter, DeadLetterReason
from events.errors import ContractViolation, FirewatchError, TopicError
from events.readings import (
    ChargingPortReading,
    DeviceAlarm,
    DoorEvent,
    GatewayStatus,
    Heartbeat,
    Reading,
    SmokeReading,
)
from events.sequence import SequenceAnomaly
from events.topics import KAFKA_TOPICS, MqttTopic, TopicSpec

__all__ = [
    "KAFKA_TOPICS",
    "Alert",
    "AlertKind",
    "AlertStatus",
    "ChargingPortReading",
    "Command",
    "ContractViolation",
    "DeadLetter",
    "DeadLetterReason",
    "DeviceAlarm",
    "DoorEvent",
    "Evidence",
    "FirewatchError",
    "GatewayStatus",
    "Heartbeat",
    "LinkageAction",
    "LinkageRequest",
    "MqttTopic",
    "Reading",
    "SequenceAnomaly",
    "Severity",
    "SmokeReading",
    "TopicError",
    "TopicSpec",
    "decode_reading",
    "encode_model",
    "event_id",
    "incident_key",
    "kafka_headers",
]
