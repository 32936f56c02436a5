"""Outbox over Kafka and MQTT: commands to the device (MQTT) and to the commands topic; incident
updates to the incidents topic (events.incidents.IncidentUpdate, schema 2)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from alerts.service.mqtt_link import MqttLink
from events.codec import encode_model, kafka_headers
from events.commands import Command
from events.incidents import INCIDENT_SCHEMA_VERSION, IncidentUpdate
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
            Topics.COMMANDS,
            payload,
            key=command.compound_id.encode(),
            headers=kafka_headers("command", command.command_id, PRODUCER),
        )

    async def update(self, update: IncidentUpdate) -> None:
        await self._producer.send(
            Topics.INCIDENTS,
            encode_model(update),
            key=update.place.compound_id.encode(),
            headers=kafka_headers(
                "incident_update", update.event_id, PRODUCER, INCIDENT_SCHEMA_VERSION
            ),
        )
