"""The wire contract: every message that crosses a process boundary, and where it travels.

Stages (`ingest`, `streams`, `alerts`, `simulators`) import this package and nothing of each
other. It imports no client library: models, codec, topic table, MQTT topic scheme, errors.
"""

from events.alerts import (
    Alert,
    AlertKind,
    AlertStatus,
    ConditionFamily,
    Evidence,
    LinkageAction,
    LinkageRequest,
    Severity,
    condition_key,
    family_of,
)
from events.codec import decode_reading, encode_model, event_id, kafka_headers
from events.commands import Command
from events.deadletter import DeadLetter, DeadLetterReason
from events.errors import ContractViolation, FirewatchError, TopicError
from events.incidents import (
    IncidentAction,
    IncidentPlace,
    IncidentState,
    IncidentUpdate,
    LinkageTask,
    TaskKind,
    TaskState,
)
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
    "ConditionFamily",
    "ContractViolation",
    "DeadLetter",
    "DeadLetterReason",
    "DeviceAlarm",
    "DoorEvent",
    "Evidence",
    "FirewatchError",
    "GatewayStatus",
    "Heartbeat",
    "IncidentAction",
    "IncidentPlace",
    "IncidentState",
    "IncidentUpdate",
    "LinkageAction",
    "LinkageRequest",
    "LinkageTask",
    "MqttTopic",
    "Reading",
    "SequenceAnomaly",
    "Severity",
    "SmokeReading",
    "TaskKind",
    "TaskState",
    "TopicError",
    "TopicSpec",
    "condition_key",
    "decode_reading",
    "encode_model",
    "event_id",
    "family_of",
    "kafka_headers",
]
