"""Settings of the telemetry sink: a frozen model composed into `firewatch.settings.Settings`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from events.topics import Topics


class SinkConfig(BaseModel):
    """Where telemetry goes and how it is batched. `url` None means the sink is off."""

    model_config = ConfigDict(frozen=True)

    url: str | None = None
    org: str = "firewatch"
    bucket: str = "telemetry"
    token: SecretStr | None = None
    # Its own consumer group: the sink lags or stalls without holding back the detectors.
    group_id: str = "firewatch-sink"
    topics: tuple[str, ...] = (Topics.READINGS,)
    # InfluxDB recommends batches of about 5,000 lines; a second bounds the dashboard delay.
    batch_size: int = Field(default=5_000, ge=1, le=100_000)
    flush_interval_s: float = Field(default=1.0, gt=0.0, le=60.0)
    retry_initial_s: float = Field(default=0.2, gt=0.0)
    retry_max_s: float = Field(default=30.0, gt=0.0)
    write_timeout_s: float = Field(default=10.0, gt=0.0)
    max_poll_records: int = Field(default=2_000, ge=1)
