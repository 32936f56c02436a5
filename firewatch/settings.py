"""Settings: frozen, built once per process from the environment (FIREWATCH_*) and flags.

Nested fields use `__`: FIREWATCH_MQTT__PORT=1883, FIREWATCH_KAFKA__FLAVOUR=tansu.
Library code never reads the environment; it receives these objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts.config import DispatchConfig
from events.connections import KafkaConnection, MqttConnection
from ingest.config import IngestConfig
from simulators.config import SimulatorConfig
from streams.config import StreamsConfig
from streams.telemetry.config import SinkConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIREWATCH_", env_nested_delimiter="__", frozen=True, extra="ignore"
    )

    mqtt: MqttConnection = MqttConnection()
    kafka: KafkaConnection = KafkaConnection()
    log_level: str = "INFO"
    streams: StreamsConfig = StreamsConfig()
    log_json: bool = False
    ingest: IngestConfig = IngestConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    # Telemetry sink to InfluxDB (FIREWATCH_SINK__URL, __ORG, __BUCKET, __TOKEN); off without URL.
    sink: SinkConfig = SinkConfig()
    dispatch: DispatchConfig = DispatchConfig()

    def with_overrides(self, **sections: dict[str, Any]) -> Settings:
        """A copy with some fields of some sections replaced (from command-line flags)."""
        data = self.model_dump()
        for section, values in sections.items():
            current = data.get(section)
            if isinstance(current, dict):
                current.update({k: v for k, v in values.items() if v is not None})
        return type(self).model_validate(data)

    def masked_json(self) -> str:
        """The whole effective configuration with secrets masked (logged at DEBUG)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    def summary(self, sections: Iterable[str]) -> str:
        """One short line for the start-up log: the brokers a command talks to, then only the
        settings of its sections that differ from the defaults (secrets masked)."""
        parts: list[str] = []
        for name in sections:
            if name == "mqtt":
                user = f" user={self.mqtt.username}" if self.mqtt.username else ""
                parts.append(f"mqtt={self.mqtt.endpoint}{user}")
            elif name == "kafka":
                parts.append(f"kafka={self.kafka.bootstrap} ({self.kafka.flavour.value})")
            else:
                section = getattr(self, name)
                changed = section.model_dump(mode="json", exclude_defaults=True)
                parts.extend(f"{name}.{key}={value}" for key, value in _flat(changed))
        return " ".join(parts) or "defaults"


def _flat(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in sorted(data.items()):
        if isinstance(value, dict):
            out.extend(_flat(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out
