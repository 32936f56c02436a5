"""Settings of the public side: one frozen model the composition root builds (FIREWATCH_*
environment and `firewatch community serve` flags); this package never reads the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from community.photos import PhotoLimits


class CommunityConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    # What QR codes and follow links point at (the address residents' phones reach).
    public_url: str = "http://127.0.0.1:8090"
    photo_dir: Path = Path("var/photos")
    # The public side's own small database: follow tokens and statuses (never the ledger).
    database_path: Path = Path("var/community.db")
    max_photos: int = Field(default=3, ge=1, le=3)
    max_photo_mb: int = Field(default=10, ge=1, le=50)
    max_photo_megapixels: int = Field(default=50, ge=1, le=200)
    # Rate limits (a resident is never near them; a flood is): every submission from one
    # address, accepted reports about one building.
    reports_per_address: int = Field(default=10, ge=1)
    reports_per_building: int = Field(default=30, ge=1)
    rate_window_s: float = Field(default=3600.0, gt=0.0)
    # Behind a reverse proxy the client is the right-most X-Forwarded-For entry; only then.
    trust_forwarded_for: bool = False
    # Signs staff session cookies and form tokens; a random one per start when unset (staff
    # then sign in again after a restart).
    session_secret: SecretStr | None = None
    session_ttl_s: float = Field(default=12 * 3600.0, gt=0.0)  # one shift (GB 25201)
    sign_in_failures: int = Field(default=5, ge=1)  # per address per 5 min
    kafka_producer_id: str = "community"
    status_group: str = "firewatch-community-status"

    def photo_limits(self) -> PhotoLimits:
        return PhotoLimits(
            max_bytes=self.max_photo_mb * 1024 * 1024,
            max_pixels=self.max_photo_megapixels * 1_000_000,
        )

    @property
    def max_request_bytes(self) -> int:
        """The whole form: every photo at its limit plus the text fields."""
        return self.max_photos * self.max_photo_mb * 1024 * 1024 + 64 * 1024
