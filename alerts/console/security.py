"""What keeps the console standing against an attacker (issue 12.4): security headers on every
answer, cross-site-request refusal on every state change, request bodies parsed strictly into
4xx answers, never a 500.

CSRF takes three locks, any one of which stops a forged request: state changes must be
`application/json` (a cross-site form or `text/plain` POST cannot be, without a CORS preflight
this server never grants), a browser's Origin (or Sec-Fetch-Site) must be the console's own,
and every change after sign-in carries the session's CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.console.config import ConsoleConfig, CookieSecure
from alerts.console.i18n import negotiate, text
from alerts.lifecycle import Outcome

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Body = TypeVar("Body", bound=BaseModel)

# No inline script or style, nothing from elsewhere (issue 12.4); data: for nothing but images.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_key: str = Field(min_length=1, max_length=512)
    action: Literal["acknowledge", "on_scene", "confirm", "deny", "resolve", "mute"]
    outcome: Outcome | None = None
    cause: str | None = Field(default=None, max_length=500)


def refuse(
    request: web.Request, status: type[web.HTTPException], code: str, **params: object
) -> web.HTTPException:
    """A 4xx with a reason code and its words in the caller's language."""
    lang = negotiate(request.headers.get("Accept-Language"))
    body = {"error": code, "message": text(lang, f"error.{code}", **params)}
    return status(text=json.dumps(body, ensure_ascii=False), content_type="application/json")


async def parse(request: web.Request, model: type[Body]) -> Body:
    try:
        raw = await request.read()
        return model.model_validate_json(raw)
    except ValidationError:
        raise refuse(request, web.HTTPBadRequest, "bad_request") from None


def is_secure(request: web.Request, config: ConsoleConfig) -> bool:
    if config.cookie_secure is not CookieSecure.AUTO:
        return config.cookie_secure is CookieSecure.ALWAYS
    return _scheme(request, config) == "https"


def own_origin(request: web.Request, config: ConsoleConfig) -> str:
    host = request.host
    if config.trust_proxy_headers:
        host = _first(request.headers.get("X-Forwarded-Host")) or host
    return f"{_scheme(request, config)}://{host}"


def guard(config: ConsoleConfig) -> Middleware:
    """Middleware: state changes must be JSON from the console's own origin."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in _CHANGES:
            if request.content_type != "application/json":
                raise refuse(request, web.HTTPUnsupportedMediaType, "unsupported_media")
            if not _is_same_origin(request, config):
                raise refuse(request, web.HTTPForbidden, "csrf")
        return await handler(request)

    return middleware


def headers_hook(config: ConsoleConfig) -> Callable[[web.Request, web.StreamResponse], Any]:
    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("Content-Security-Policy", CSP)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if is_secure(request, config):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")

    return add_headers


def _is_same_origin(request: web.Request, config: ConsoleConfig) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        # Browsers send Origin on every POST; a fetch metadata header alone still says where
        # it came from. Neither: not a browser, and the CSRF token still has to match.
        site = request.headers.get("Sec-Fetch-Site")
        return site in (None, "same-origin", "none")
    return origin == own_origin(request, config) or origin in config.allowed_origins


def _scheme(request: web.Request, config: ConsoleConfig) -> str:
    if config.trust_proxy_headers:
        forwarded = _first(request.headers.get("X-Forwarded-Proto"))
        if forwarded in ("http", "https"):
            return forwarded
    return "https" if request.secure else "http"


def _first(value: str | None) -> str | None:
    return value.split(",")[0].strip() if value else None
