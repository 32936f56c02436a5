"""Duty-console settings, composed as `DispatchConfig.console`
(environment: FIREWATCH_DISPATCH__CONSOLE__SESSION_TTL_S, ...__COOKIE_SECURE, ...)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alerts.console.throttle import ThrottleConfig


class CookieSecure(StrEnum):
    """When the session cookie carries `Secure` (and the `__Host-` name prefix)."""

    AUTO = "auto"  # when the request came over TLS, or a trusted proxy says it did
    ALWAYS = "always"  # behind a TLS proxy that does not say so
    NEVER = "never"  # plain-HTTP development on another host than localhost only


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_ttl_s: float = Field(default=12 * 3600.0, gt=0.0)  # one shift (GB 25201: <= 8 h)
    cookie_secure: CookieSecure = CookieSecure.AUTO
    # Believe X-Forwarded-Proto / X-Forwarded-Host from the reverse proxy in front of the
    # console. Only when every request reaches the console through that proxy.
    trust_proxy_headers: bool = False
    # Origins besides the console's own that may send state changes (the public URL behind a
    # proxy that rewrites Host), e.g. ["https://console.example.org"].
    allowed_origins: tuple[str, ...] = ()
    # The window in which "false alarm", "resolve" and "mute" can be taken back before they
    # are sent. Confirm fire has none: GB 50440 wants the 119 forward within 3 s.
    undo_window_s: float = Field(default=5.0, ge=0.0, le=30.0)
    # A button that just appeared (a new card pushed the list down) ignores taps this long,
    # so a tap meant for the card that was there does not press it.
    settle_ms: int = Field(default=700, ge=0, le=3000)
    max_body_bytes: int = Field(default=16_384, ge=1024)
    throttle: ThrottleConfig = ThrottleConfig()
    # The hazard desk's API (`firewatch community desk`, alerts.hazards.config default port):
    # the console forwards hazard steps and photos there under the member's console session,
    # so duty staff sign in once (issue 18.4). Loopback or the internal network only.
    hazard_desk_url: str = "http://127.0.0.1:8091"
    hazard_desk_timeout_s: float = Field(default=10.0, gt=0.0, le=60.0)
