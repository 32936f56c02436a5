"""Telemetry sink: device readings from Kafka to InfluxDB (v2 write API), nothing dropped.

Pure core: `lines` (reading -> line protocol), `batch` (size/time batching, backoff).
Adapters: `writer` (influxdb-client async write API), `sink` (aiokafka consumer loop).
"""

from streams.telemetry.config import SinkConfig

__all__ = ["SinkConfig"]
