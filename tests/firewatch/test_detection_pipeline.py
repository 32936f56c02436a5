"""A real fire test through the real pipeline: a UL FSRI test published over MQTT, through
ingest and Kafka to the stream worker, its alerts read back from Kafka and scored per room
(simulators.device_scoring, what `firewatch eval --per-device` runs). Plus a failed sensor:
its out-of-range reading is dead-lettered and raised as a sensor fault.

Scoring is in data time (alerts carry the device time of their evidence), so the pipeline
must score exactly as the in-process run of the same detectors does.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.alerts import Alert, AlertKind
from events.topics import Channel, MqttTopic
from firewatch.demo import read_alerts
from firewatch.detection_eval import UL_TESTS, engine_alerts
from firewatch.stack import Endpoints, Stack, default_services
from simulators import runner
from simulators.datasets import ulfsri
from simulators.device_scoring import score_recording
from simulators.recording import Record
from simulators.replay import plan
from tests.polling import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Endpoints]:
    env = {
        # A replay as fast as possible puts device times far behind the bridge clock.
        "FIREWATCH_STREAMS__DETECTORS__HEALTH__CLOCK_SKEW_S": "100000",
        "FIREWATCH_STREAMS__DATA_DIR": str(tmp_path / "faust"),
    }
    specs = [dataclasses.replace(s, env={**s.env, **env}) for s in default_services()]
    # The data set publishes as one gateway of its own (ulfsri.convert): it gets a login.
    st = Stack(tmp_path, services=specs, gateways=[("ulfsri", "ulfsri-gw1")])
    try:
        yield st.start(timeout_s=60)
    finally:
        st.stop()


def _failed_sensor(start_at: datetime) -> Record:
    """A living-room detector of the test whose thermocouple failed open: 1,260 C."""
    device = "ulfsri-gas-burner-5-living-room-heat"
    topic = MqttTopic.device("ulfsri", "ulfsri-gw1", device, Channel.TELEMETRY)
    reading = {
        "kind": "smoke",
        "device_id": device,
        "compound_id": "ulfsri",
        "gateway_id": "ulfsri-gw1",
        "seq": 100_000,
        "observed_at": start_at.isoformat(),
        "area_id": "gas-burner-5-living-room",
        "obscuration_db_per_m": 0.0,
        "temperature_c": 1260.0,
        "battery_pct": 100.0,
    }
    return Record(start_at.timestamp(), topic, json.dumps(reading).encode())


async def test_a_ul_fsri_fire_through_mqtt_ingest_and_the_worker(
    stack: Endpoints, datasets: Path
) -> None:
    path = datasets / UL_TESTS / "Gas_Burner_5.csv"
    duration_s = 2300.0
    # Inside the bridge's accepted window: the recording ends about now.
    start_at = datetime.now(tz=UTC) - timedelta(seconds=duration_s)
    conv = ulfsri.convert(path, start_at=start_at)
    records = [*conv.records, _failed_sensor(start_at + timedelta(seconds=duration_s - 60))]
    local = score_recording(conv.records, conv.truth, engine_alerts(conv.records))
    expected = {r.device_id: r.latency_s for r in local.rows}
    conn = stack.gateway_connection()
    await runner.replay(plan(records, speed=None), conn)

    last: dict[str, object] = {}

    async def caught_up() -> list[Alert] | None:
        alerts = await read_alerts(stack.kafka_bootstrap, idle_s=1)
        piped = score_recording(conv.records, conv.truth, alerts)
        has_fault = any(a.kind is AlertKind.SENSOR_FAULT for a in alerts)
        got = {r.device_id: r.latency_s for r in piped.rows}
        last.update(
            alerts=len(alerts),
            sensor_fault=has_fault,
            differs={
                d: (got.get(d), expected.get(d))
                for d in {*got, *expected}
                if got.get(d) != expected.get(d)
            },
        )
        return alerts if has_fault and got == expected else None

    # The worker reaches the in-process result, or the poll fails naming what it waited for
    # and what the last read of the alerts showed (piped, in-process per device).
    try:
        alerts = await wait_for(caught_up, 90.0, what="pipeline scores as in-process", every_s=1.0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the last read: {last}") from None
    piped = score_recording(conv.records, conv.truth, alerts)
    assert len(piped.reached) >= 12
    assert not piped.missed, [r.device_id for r in piped.missed]
    assert piped.false_alarms == 0
    faults = [a for a in alerts if a.kind is AlertKind.SENSOR_FAULT]
    assert [a.device_id for a in faults] == ["ulfsri-gas-burner-5-living-room-heat"]
    assert "temperature_c read 1260" in faults[0].summary
