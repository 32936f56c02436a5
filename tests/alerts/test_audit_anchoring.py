"""The dispatch service anchors its audit chain outside the database: signed checkpoints in an
append-only file and on Kafka (Topics.AUDIT), which `firewatch audit verify` reads back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from alerts.ledger import Database
from alerts.ledger.audit_checkpoints import read_checkpoint_file
from alerts.ledger.audit_kafka import read_kafka_checkpoints
from alerts.ledger.audit_keys import new_keyring_text
from alerts.service.factory import build_dispatch_service
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.topics import Topics
from firewatch.cli import main
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from tests.alerts.rig import make_alert
from tests.polling import wait_for

from .conftest import short_config

pytestmark = pytest.mark.integration


async def test_checkpoints_reach_the_file_and_kafka_and_catch_a_cut_tail(
    kafka: TansuBroker,
    mosquitto: MosquittoBroker,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file, cp_file = tmp_path / "audit.key", tmp_path / "audit-checkpoints.jsonl"
    key_file.write_text(new_keyring_text())
    config = short_config(
        tmp_path,
        audit_key_file=key_file,
        audit_checkpoint_file=cp_file,
        audit_checkpoint_interval_s=0.2,
    )
    service = build_dispatch_service(
        config,
        KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU),
        MqttConnection(port=mosquitto.port),
    )
    await service.start()
    try:
        await service.wait_ready()
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(Topics.ALERTS, encode_model(make_alert()), key=b"c001")
        finally:
            await producer.stop()
        await wait_for(lambda: cp_file.exists() and cp_file.read_text(), 20, what="a checkpoint")
    finally:
        await service.stop()
    on_file = read_checkpoint_file(cp_file)
    on_kafka = await read_kafka_checkpoints(KafkaConnection(bootstrap=kafka.bootstrap))
    assert on_kafka == on_file
    url = config.database_url.get_secret_value()
    db = Database(url, read_only=True)
    head = db.query("SELECT MAX(seq) FROM audit_log")[0][0]
    db.close()
    assert on_file[-1].seq == head > 1  # the final checkpoint at stop covers the head
    argv = ["audit", "verify", "--database-url", url, "--key-file", str(key_file)]
    argv += ["--kafka-bootstrap", kafka.bootstrap]
    # The command runs its own event loop (asyncio.run): off this test's loop.
    assert await asyncio.to_thread(main, argv) == 0, capsys.readouterr().out
    capsys.readouterr()
    # The insider cuts the newest entry and repairs the head anchor; only Kafka can tell.
    db = Database(url)
    with db.transaction():
        db.execute("DELETE FROM audit_log WHERE seq = ?", (head,))
        prev = db.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
        db.execute("UPDATE audit_anchor SET seq = ?, hash = ? WHERE id = 1", prev)
    db.close()
    assert await asyncio.to_thread(main, argv) == 1
    assert "(truncated at the newest end)" in capsys.readouterr().out
