"""Stage configuration of the stream workers (composed into firewatch.settings.Settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streams.detectors.config import DetectorSettings


class StreamsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    app_id: str = "firewatch-streams"
    detectors: DetectorSettings = DetectorSettings()
    # Internal topic from the device stage to the compound stage (keyed by compound).
    signals_topic: str = "fw.streams.signals.v1"
    signals_partitions: int = Field(default=6, ge=1)
    # Timers: silence and held-open deadlines are checked this often (STACK-NOTES: timers,
    # never windows). 1 s keeps a 30 s door warning within 1 s of its deadline.
    tick_interval_s: float = Field(default=1.0, gt=0)
    # Per-device state lives in memory and is mirrored to the changelog table at once when it
    # changes meaningfully (alarm stages, deadlines, incidents), else at most this often: one
    # table write per event would cap a worker near 3.3k events/s (STACK-NOTES.md).
    flush_interval_s: float = Field(default=5.0, gt=0)
    # A lane hands the device stage a partition's fetched records at once (faust_compat);
    # alerts are published after every `batch_max` of them, so a backlog never holds an
    # alarm back longer than that many readings take (~20-40 ms).
    batch_max: int = Field(default=1000, ge=1)
    # The producer's batch per partition. A state flush writes a changelog record for every
    # device that changed in the last flush interval (thousands at a city's load, ~1 KB each),
    # and aiokafka keeps one batch per partition in flight: at Faust's 16 KiB a flush of 25k
    # devices took 25+ round trips per partition, 8-23 s, and the lanes waited behind it (a
    # 30-minute soak fell 470k readings behind). As the bridge's (ingest/config.py), well
    # below Kafka's 1 MiB request limit.
    producer_max_batch_bytes: int = Field(default=256 * 1024, ge=16 * 1024)
    # Tansu holds every group join for half the session timeout (STACK-NOTES.md).
    # Tansu answers a long-poll fetch only when the wait expires, so an alarm arriving at an
    # idle worker waits up to this long. Measured with the lanes (bench streams, 20 s idle):
    # 100 ms gave p50 31 / p99 46 ms alarms and 17-18k events/s; 20 ms gave 20 / 30 ms and
    # 16k/s. Apache Kafka answers at once when data arrives: the wait matters less there.
    # 40 ms since the bridge holds telemetry (ingest/config.py telemetry_hold_ms): with
    # Tansu's fetches cheap again a thermal runaway's reading is no longer behind a 100 ms
    # poll (bench e2e, 2,000 msg/s: runaways p99 132 vs 154 ms; Tansu 0.42 vs 0.36 of a core).
    fetch_max_wait_ms: int = Field(default=40, ge=1, le=1500)
    # The priority partitions' own fetch (streams/priority_fetch.py), so a device's alarm is
    # not behind the readings' fetch cycle (issue #17); 0 turns it off (Faust's fetch alone).
    priority_fetch_max_wait_ms: int = Field(default=20, ge=0, le=1500)
    session_timeout_s: float = Field(default=8.0, ge=6.0)
    heartbeat_interval_s: float = Field(default=1.0, gt=0)
    data_dir: str = "/tmp/firewatch-streams"  # noqa: S108  Faust's local data; memory tables
