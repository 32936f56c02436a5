"""Where messages travel: the Kafka topic table and the MQTT topic scheme. The only place.

MQTT (devices -> broker):
    fw/v1/{compound}/{gateway}/{device}/{channel}   channel: telemetry | event | status | alarm
    fw/v1/{compound}/{gateway}/status               gateway liveness, retained, last will
MQTT (down, to gateways and terminals; ingest never forwards these):
    fw/v1/{compound}/{gateway}/{device}/cmd         dispatch -> a device (power cut, locks)
    fw/v1/{compound}/{gateway}/cmd                  ingest -> a gateway (resend requests)
    fw/v1/terminals/{terminal}/page                 dispatch -> a station terminal
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from events.deadletter import DeadLetterReason
from events.errors import TopicError

MQTT_ROOT = "fw/v1"
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Channel(StrEnum):
    TELEMETRY = "telemetry"
    EVENT = "event"
    STATUS = "status"
    # Device-side alarm events travel on their own channel so the bridge can read them on a
    # separate MQTT session: never queued behind telemetry (GB 26875.1 §4.1.2.3).
    ALARM = "alarm"
    CMD = "cmd"


UPLINK_CHANNELS: tuple[Channel, ...] = (
    Channel.TELEMETRY,
    Channel.EVENT,
    Channel.STATUS,
    Channel.ALARM,
)
PRIORITY_CHANNELS: tuple[Channel, ...] = (Channel.ALARM,)


@dataclass(frozen=True, slots=True)
class MqttTopic:
    """A parsed MQTT topic. `device_id` is None on the gateway's own status topic."""

    compound_id: str
    gateway_id: str
    device_id: str | None
    channel: Channel

    def render(self) -> str:
        if self.device_id is None:
            return f"{MQTT_ROOT}/{self.compound_id}/{self.gateway_id}/{self.channel.value}"
        return (
            f"{MQTT_ROOT}/{self.compound_id}/{self.gateway_id}/{self.device_id}/"
            f"{self.channel.value}"
        )

    @classmethod
    def device(cls, compound_id: str, gateway_id: str, device_id: str, channel: Channel) -> str:
        return cls(compound_id, gateway_id, device_id, channel).render()

    @classmethod
    def gateway_status(cls, compound_id: str, gateway_id: str) -> str:
        return cls(compound_id, gateway_id, None, Channel.STATUS).render()

    @classmethod
    def command(cls, compound_id: str, gateway_id: str, device_id: str) -> str:
        return cls(compound_id, gateway_id, device_id, Channel.CMD).render()

    @classmethod
    def gateway_command(cls, compound_id: str, gateway_id: str) -> str:
        """The gateway's own command topic: the bridge's resend requests (events.commands)."""
        return cls(compound_id, gateway_id, None, Channel.CMD).render()

    @classmethod
    def parse(cls, topic: str) -> MqttTopic:
        """Parse an uplink or command topic; raise TopicError naming what is wrong."""
        parts = topic.split("/")
        if len(parts) not in (5, 6) or "/".join(parts[:2]) != MQTT_ROOT:
            raise TopicError(
                DeadLetterReason.BAD_TOPIC,
                f"topic {topic!r} is not {MQTT_ROOT}/{{compound}}/{{gateway}}/"
                "[{{device}}/]{{channel}}",
            )
        ids = parts[2:-1]
        for level in ids:
            if not _ID.match(level):
                raise TopicError(
                    DeadLetterReason.BAD_TOPIC, f"topic level {level!r} is not a valid id"
                )
        try:
            channel = Channel(parts[-1])
        except ValueError:
            raise TopicError(
                DeadLetterReason.BAD_TOPIC, f"unknown channel {parts[-1]!r} in topic {topic!r}"
            ) from None
        if len(parts) == 5 and channel not in (Channel.STATUS, Channel.CMD):
            raise TopicError(
                DeadLetterReason.BAD_TOPIC,
                f"gateway-level topic {topic!r} must end in /status (or /cmd, downlink)",
            )
        device_id = ids[2] if len(ids) == 3 else None
        return cls(ids[0], ids[1], device_id, channel)


def _shared(filters: list[str], share_group: str | None) -> list[str]:
    # Shared subscriptions (`$share/{group}/...`, MQTT v5 §4.8.2): N bridges split the load.
    if share_group:
        return [f"$share/{share_group}/{f}" for f in filters]
    return filters


def priority_subscriptions(share_group: str | None = None) -> list[str]:
    """Filters of the priority lane: device-side alarms only."""
    return _shared([f"{MQTT_ROOT}/+/+/+/{ch.value}" for ch in PRIORITY_CHANNELS], share_group)


def telemetry_subscriptions(share_group: str | None = None) -> list[str]:
    """Filters of the telemetry lane: the whole `fw/v1` space, so a message on an unknown
    channel or with an extra level is dead-lettered (bad_topic) rather than acknowledged by
    the broker to nobody (issue 19). The alarm channel and the downlink topics inside it are
    not the lane's: the ACL withholds them (firewatch/embedded/acl.py) and the lane skips
    them where a broker has no ACL (`is_downlink`, ingest/core.py)."""
    return _shared([f"{MQTT_ROOT}/#"], share_group)


def uplink_subscriptions(share_group: str | None = None) -> list[str]:
    """Every filter the ingest bridge subscribes to."""
    return priority_subscriptions(share_group) + telemetry_subscriptions(share_group)


def is_downlink(topic: str) -> bool:
    """A topic that carries messages down to gateways, devices or terminals: never uplink
    data, whatever arrives there (the ACL lets no gateway write one)."""
    parts = topic.split("/")
    if "/".join(parts[:2]) != MQTT_ROOT:
        return False
    is_command = parts[-1] == Channel.CMD.value and len(parts) in (5, 6)
    is_page = len(parts) == 5 and parts[2] == TERMINALS_LEVEL and parts[4] == "page"
    return is_command or is_page


# fw/v1/terminals/{terminal}/page: dispatch's pages to station terminals
# (alerts/notify/terminal.py); a level no compound may take.
TERMINALS_LEVEL = "terminals"


DEVICE_PUBLISH_PATTERN = f"{MQTT_ROOT}/{{compound}}/{{gateway}}/{{device}}/{{channel}}"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One Kafka topic: its name, what it carries, its key and partition count."""

    name: str
    carries: str
    key: str
    partitions: int
    retention_ms: int | None = None


_DAY_MS = 24 * 3600 * 1000


class Topics:
    """Kafka topic names. Versioned: a breaking change makes a `.v2` topic."""

    READINGS = "fw.readings.v1"
    PRIORITY = "fw.priority.v1"
    DEAD_LETTER = "fw.deadletter.v1"
    SEQUENCE = "fw.sequence.v1"
    # v2: alerts carry `condition_key`; incidents are IncidentUpdate records (UPGRADING.md).
    ALERTS = "fw.alerts.v2"
    COMMANDS = "fw.commands.v1"
    INCIDENTS = "fw.incidents.v2"
    AUDIT = "fw.audit.v1"
    # Console actions for the dispatch instance owning the compound (events/actions.py).
    ACTIONS = "fw.actions.v1"
    # People as sensors (docs/PEOPLE.md): resident reports and patrol check-ins in, hazard
    # rectification out.
    REPORTS = "fw.reports.v1"
    HAZARDS = "fw.hazards.v1"


KAFKA_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        Topics.READINGS, "device readings, heartbeats, gateway status", "device_id", 12, 7 * _DAY_MS
    ),
    TopicSpec(
        Topics.PRIORITY,
        "device-side alarm events (never behind telemetry)",
        "device_id",
        3,
        30 * _DAY_MS,
    ),
    TopicSpec(
        Topics.DEAD_LETTER,
        "rejected MQTT messages: original bytes + reason",
        "mqtt_topic",
        3,
        30 * _DAY_MS,
    ),
    TopicSpec(
        Topics.SEQUENCE,
        "per-device sequence gaps and duplicates seen by ingest",
        "device_id",
        3,
        30 * _DAY_MS,
    ),
    TopicSpec(
        Topics.ALERTS,
        "condition revisions raised, updated and cleared by the detectors",
        "compound_id",
        6,
        365 * _DAY_MS,
    ),
    TopicSpec(
        Topics.COMMANDS,
        "linkage commands to devices (power cut, lock release)",
        "compound_id",
        6,
        30 * _DAY_MS,
    ),
    TopicSpec(
        Topics.INCIDENTS,
        "incident updates from dispatch: the incident as it stands and what changed",
        "compound_id",
        6,
        365 * _DAY_MS,
    ),
    # Co-partitioned with fw.alerts.v2 (same key, same count): a compound's actions reach the
    # dispatch instance holding its alerts (range assignment). Change both counts together.
    TopicSpec(
        Topics.ACTIONS,
        "duty-console actions for the dispatch instance owning the compound",
        "compound_id",
        6,
        7 * _DAY_MS,
    ),
    # Signed checkpoints of the ledger's audit chain (alerts/ledger/audit_checkpoints.py): kept
    # longer than the ledger's 400-day retention so every retained entry stays anchored.
    TopicSpec(Topics.AUDIT, "audit chain checkpoints", "ledger", 1, 450 * _DAY_MS),
    TopicSpec(
        Topics.REPORTS,
        "hazard reports of residents and patrols, patrol check-ins",
        "compound_id",
        3,
        365 * _DAY_MS,
    ),
    TopicSpec(
        Topics.HAZARDS,
        "hazard rectification updates from dispatch (隐患整改)",
        "compound_id",
        3,
        365 * _DAY_MS,
    ),
)


def topic_spec(name: str) -> TopicSpec:
    for spec in KAFKA_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
