"""Signed webhooks (pure): HMAC-SHA256 over "{timestamp}." + body with the recipient's key,
the timestamp in its own header, and a replay window on the receiving side.

Headers:  X-Firewatch-Timestamp: 1767580800
          X-Firewatch-Signature: v1=<hex HMAC-SHA256(key, b"1767580800." + body)>
A receiver recomputes the signature over the raw body, compares in constant time, refuses a
timestamp outside the window (default 300 s) and deduplicates by the item's `event_id`
(retries send the same item again, with a new timestamp and signature). This is the scheme
Stripe and GitHub webhooks use; docs/FEEDS.md shows a receiver in a few lines.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

TIMESTAMP = "X-Firewatch-Timestamp"
SIGNATURE = "X-Firewatch-Signature"
REPLAY_WINDOW_S = 300


class SignatureError(ValueError):
    """Why a received webhook is refused: no headers, a wrong signature, a stale timestamp."""


def signature(key: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def sign(key: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP: str(timestamp), SIGNATURE: signature(key, timestamp, body)}


def verify(
    key: bytes,
    headers: Mapping[str, str],
    body: bytes,
    now_s: float,
    window_s: float = REPLAY_WINDOW_S,
) -> None:
    """Raise SignatureError unless the body is signed with `key` within the window."""
    stamp, presented = headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if not stamp or not presented or not stamp.isdigit():
        raise SignatureError("missing or malformed signature headers")
    if abs(now_s - int(stamp)) > window_s:
        raise SignatureError(f"timestamp {stamp} outside the {window_s:.0f} s replay window")
    if not hmac.compare_digest(signature(key, int(stamp), body), presented):
        raise SignatureError("signature does not match the body")
