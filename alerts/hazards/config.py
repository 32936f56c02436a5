"""Settings of the hazard desk (dispatch side): one frozen model the composition root builds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from alerts.hazards.policy import HazardPolicy
from alerts.registry.loader import EXAMPLE_DIR


class HazardsConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_dir: Path = EXAMPLE_DIR
    # The same ledger as incidents (one ledger, one audit trail: issue 18).
    database_url: SecretStr = SecretStr("sqlite:///var/firewatch-ledger.db")
    # The dispatch keyring: the desk's entries in the one audit chain are signed like
    # dispatch's (docs/SECURITY.md); None writes unsigned entries (verify then says so).
    audit_key_file: Path | None = None
    # The directory the public side writes photos to (read-only here).
    photo_dir: Path = Path("var/photos")
    host: str = "127.0.0.1"
    port: int = Field(default=8091, ge=0, le=65535)
    consumer_group: str = "firewatch-hazards"
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=500)
    policy: HazardPolicy = HazardPolicy()
    # Missed rounds count from here; unset: from the desk's start (so set it in production:
    # a restart then does not forget the slots before it).
    patrols_since: AwareDatetime | None = None
    session_secret: SecretStr | None = None
    session_ttl_s: float = Field(default=12 * 3600.0, gt=0.0)  # one shift (GB 25201)
    # Month boundaries and deadlines as people read them.
    timezone: str = "Asia/Shanghai"

    def since(self) -> datetime | None:
        return self.patrols_since
