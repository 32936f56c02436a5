"""VictoriaMetrics for the sink tests: the InfluxDB v2 write API on a free loopback port."""

from __future__ import annotations
