"""Telemetry sink: device readings from Kafka to InfluxDB (v2 write API), nothing dropped.

Pure core: `templates` (reading -> line protocol, the hot path) on `slots` (what each model
field is), `lines` (the reference encoding and the by-field fallback), `batch` (size/time
batching, backoff). Ports and adapters: `consumer` (what the loop needs of aiokafka), `writer`
(influxdb-client async write API), `sink` (the consumer loop), `service` (wiring).
"""

from streams.telemetry.config import SinkConfig

__all__ = ["SinkConfig"]
