"""Configuration of the ingest bridge: one frozen model, composed into firewatch Settings.

Library code never reads the environment: the composition root builds this and passes it in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    bridge_id: str = Field(default="ingest-1", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    # Payloads above this are dead-lettered unread: a reading is a few hundred bytes, so
    # 64 KiB is generous and still bounds the work one message can cost. The upper bound
    # keeps every Kafka record (dead letters carry base64) inside one producer batch
    # (kafka_max_batch_bytes) and far below Kafka's 1 MiB request limit: a record Kafka
    # refuses could never be written, and the bridge never acks what it did not write.
    max_payload_bytes: int = Field(default=64 * 1024, ge=256, le=128 * 1024)
    # Device clocks drift; a gateway that buffered through an outage replays old readings.
    # 5 min ahead is more than any NTP-synced clock drifts; 7 days covers a long outage.
    max_future_skew_s: float = Field(default=300.0, gt=0)
    max_age_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    # A file of known device ids (one per line, '#' comments): unknown devices are
    # dead-lettered. None = accept every device.
    registry_path: Path | None = None
    # Shared subscription group (`$share/<group>/...`, MQTT v5 §4.8.2): N bridges split load.
    share_group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Only these compounds (per-compound filters): how N bridges split load on Mosquitto
    # while keeping per-device order (Mosquitto's shared subscriptions round-robin).
    compounds: tuple[str, ...] = ()
    # MQTT v5 Receive Maximum (§3.1.2.11.3): the broker stops sending once this many QoS1
    # messages are unacknowledged. This is the bridge's bounded in-flight window per lane.
    receive_maximum: int = Field(default=2000, ge=1, le=65535)
    priority_receive_maximum: int = Field(default=100, ge=1, le=65535)
    # Persistent session: the broker queues for us while the bridge is down (MQTT v5 §3.1.2.11.2).
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    # Kafka producer tuning. A request that hangs (frozen broker) times out and is retried
    # forever by the bridge: never dropped, never acknowledged until written.
    kafka_linger_ms: int = Field(default=5, ge=0)
    # Telemetry waits up to this long in the bridge before it is written, so each Kafka write
    # carries more records per partition. Tansu's fetches cost more the more record batches a
    # partition holds (docs/PERFORMANCE.md, "Fewer, larger batches"): at 2,000 msg/s over 12
    # partitions a write every few ms stored 1-2 records a batch, and Tansu took 1.1 of the
    # machine's 2 cores (0.36 with 100 ms; every P1 hop through it got faster). Never held:
    # alarms (the priority lane), a reading that may start a P1 (ingest/urgency.py), a
    # half-full window (a backlog draining) or a drain. 0 turns it off.
    telemetry_hold_ms: int = Field(default=100, ge=0, le=5000)
    kafka_max_batch_bytes: int = Field(default=256 * 1024, ge=1024)
    kafka_request_timeout_ms: int = Field(default=15_000, ge=1000)
    retry_backoff_s: float = Field(default=0.5, gt=0)
    # Per-device sequence tracking window: gaps older than this many seqs cannot heal.
    sequence_window: int = Field(default=10_000, ge=16)
    # Shutdown: drain what was read within this, then close the producers within their own
    # bound. Supervisors kill after 10 s (`docker stop`, our stack): the two stay under it.
    drain_timeout_s: float = Field(default=5.0, gt=0)
    producer_close_timeout_s: float = Field(default=2.0, gt=0)
