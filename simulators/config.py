"""Simulator settings (frozen): composed into `firewatch.settings.Settings.simulator`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SimulatorConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_prefix: str = "fwsim"
    seed: int = 1
    # Unacknowledged QoS1 messages across all gateway clients before publishing waits.
    max_outstanding: int = Field(default=5000, ge=1)
    max_inflight_per_client: int = Field(default=1000, ge=1, le=65535)
