"""The feed service on a real broker (Tansu): hazards and incidents read off their topics,
delivered to a signed-webhook receiver (a real local HTTP server) and to a recipient's own
Kafka topic, each only what its filter allows; the ledger keeps a redelivery from sending
twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from alerts.feeds.config import FeedsConfig
from alerts.feeds.service import FeedService
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour
from events.hazards import EscalationLevel, HazardAction
from events.reports import HazardCategory
from events.topics import Topics, TopicSpec
from firewatch.embedded.tansu import TansuBroker
from firewatch.kafka_admin import ensure_topics
from tests.polling import wait_for

from .feed_rig import receiver
from .test_feeds import KEY, fire, hazard

pytestmark = pytest.mark.integration
HOUSING_TOPIC = "fw.feed.housing.v1"


async def test_feeds_from_the_topics_to_a_webhook_and_a_topic(
    kafka: TansuBroker, tmp_path: Path
) -> None:
    await ensure_topics(kafka.bootstrap, [TopicSpec(HOUSING_TOPIC, "feed", "compound_id", 1)])
    connection = KafkaConnection(
        bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", linger_ms=0)
    reader = AIOKafkaConsumer(
        HOUSING_TOPIC,
        bootstrap_servers=kafka.bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    async with receiver(KEY) as rec:
        config = FeedsConfig.model_validate(
            {
                "consumer_group": f"feeds-{tmp_path.name}",
                "feeds": [
                    {
                        "feed_id": "police",
                        "name": "police",
                        "allow_contact": True,
                        "filter": {"item_kinds": ["hazard"], "kinds": ["mixed_use"]},
                        "fields": ["kind", "state", "reporter_phone"],
                        "webhook": {"url": rec.url, "secret": KEY.decode()},
                    },
                    {
                        "feed_id": "housing",
                        "name": "housing",
                        "filter": {"item_kinds": ["hazard"], "actions": ["escalate"]},
                        "fields": ["kind", "escalation", "whistled_department"],
                        "kafka_topic": HOUSING_TOPIC,
                    },
                ],
            }
        )
        service = FeedService(config, connection, f"sqlite:///{tmp_path}/ledger.db")
        await producer.start()
        await reader.start()
        await service.start()
        try:
            await service.wait_ready()
            whistle = hazard(
                HazardCategory.FIRE_EQUIPMENT,
                seq=4,
                action=HazardAction.ESCALATE,
                escalation=EscalationLevel.STREET,
                whistled_department="housing-bureau",
            )
            for update in (
                hazard(HazardCategory.MIXED_USE),
                whistle,
                hazard(HazardCategory.MIXED_USE),  # a redelivery
                hazard(HazardCategory.MIXED_USE, seq=2),  # behind it on the same partition
            ):
                await producer.send_and_wait(Topics.HAZARDS, encode_model(update), key=b"c001")
            await producer.send_and_wait(Topics.INCIDENTS, encode_model(fire()), key=b"c001")
            await wait_for(lambda: len(rec.items) >= 2, 20, what="the police webhook got its items")
            got = await reader.getone()
            housing = json.loads(got.value)
            assert housing == {
                "schema": "firewatch.feed.v1",
                "feed_id": "housing",
                "event_id": "hz-fire_equipment#4",
                "item_kind": "hazard",
                "subject_id": "hz-fire_equipment",
                "at": "2026-01-05T02:00:00Z",
                "kind": "fire_equipment",
                "escalation": "street",
                "whistled_department": "housing-bureau",
            }
            assert got.key == b"c001"
            await wait_for(
                lambda: service.ledger.counts("housing") == {"delivered": 1},
                10,
                what="the ledger has the housing delivery",
            )
            assert [i["event_id"] for i in rec.items] == ["hz-mixed_use#1", "hz-mixed_use#2"]
            assert rec.items[0]["reporter_phone"] == "13800000000"
            assert service.ledger.counts("police") == {"delivered": 2}
        finally:
            await service.stop()
            await reader.stop()
            await producer.stop()
