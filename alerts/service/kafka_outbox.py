"""Outbox over Kafka and MQTT: commands to the device (MQTT) and to the commands topic;
lifecycle transitions to the incidents topic; dispatch's own alerts to the alerts topic."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from alerts.lifecycle import Incident, Transition
from alerts.service.mqtt_link import MqttLink
from events.alerts import Alert
from events.codec import encode_model, kafka_headers
from events.commands import Command
from events.incidents import IncidentTransition
from events.topics import MqttTopic, Topics

PRODUCER = "dispatch"


class KafkaOutbox:
    def __init__(self, producer: AIOKafkaProducer, mqtt: MqttLink) -> None:
        self._producer = producer
        self._mqtt = mqtt

    async def command(self, command: Command) -> None:
        payload = encode_model(command)
        # The device path first: GB 50166-2019 §4.1.3 gives the linkage 3 s.
        topic = MqttTopic.command(command.compound_id, command.gateway_id, command.device_id)
        self._mqtt.publish(topic, payload)
        await self._producer.send(
            Topics.COMMANDS, payload, key=command.compound_id.encode(),
            headers=kafka_headers("command", command.command_id, PRODUCER),
        )  # fmt: skip

    async def transition(self, incident: Incident, transition: Transition) -> None:
        record = IncidentTransition(
            incident_key=incident.incident_key, alert_key=incident.alert_key,
            incident_kind=incident.kind, severity=incident.severity,
            compound_id=incident.compound_id, station_id=incident.station_id,
            action=transition.action.value, from_state=transition.from_state.value,
            to_state=transition.to_state.value, actor=transition.actor, at=transition.at,
            source=transition.source, detail=transition.detail,
        )  # fmt: skip
        await self._producer.send(
            Topics.INCIDENTS, encode_model(record), key=incident.compound_id.encode(),
            headers=kafka_headers("incident_transition", record.event_id, PRODUCER),
        )  # fmt: skip

    async def alert(self, alert: Alert) -> None:
        await self._producer.send(
            Topics.ALERTS, encode_model(alert), key=alert.compound_id.encode(),
            headers=kafka_headers("alert", alert.alert_id, PRODUCER),
        )  # fmt: skip
