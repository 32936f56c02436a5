"""The audit log's HMAC keyring: the secret the database host never holds (docs/SECURITY.md).

A keyring is text, one key a line: `KEY_ID:HEX` (at least 32 random bytes), `#` comments.
The first key signs new entries and checkpoints; the others only verify what they signed
before a rotation. Messages are domain-separated (`fw-audit-entry`, `fw-audit-checkpoint`), so
a MAC of one kind is never valid as the other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from alerts.errors import LedgerError

_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class Keyring:
    keys: tuple[tuple[str, bytes], ...] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise LedgerError("the audit keyring holds no key")

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def sign(self, domain: str, message: str) -> tuple[str, str]:
        """(key id, hex MAC) of `message` under the current key."""
        kid, key = self.keys[0]
        return kid, _mac(key, domain, message)

    def is_valid(self, key_id: str | None, domain: str, message: str, mac: str | None) -> bool:
        key = dict(self.keys).get(key_id or "")
        if key is None or mac is None:
            return False
        return hmac.compare_digest(_mac(key, domain, message), mac)


def _mac(key: bytes, domain: str, message: str) -> str:
    return hmac.new(key, f"{domain}\x00{message}".encode(), hashlib.sha256).hexdigest()


def parse_keyring(text: str) -> Keyring:
    keys = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kid, sep, hexkey = line.partition(":")
        try:
            key = bytes.fromhex(hexkey.strip())
        except ValueError:
            key = b""
        if not sep or not _KEY_ID.match(kid) or len(key) < MIN_KEY_BYTES:
            raise LedgerError(
                f"audit keyring line {number}: expected KEY_ID:HEX with at least"
                f" {MIN_KEY_BYTES} bytes of key"
            )
        keys.append((kid, key))
    return Keyring(tuple(keys))


def load_keyring(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(f"cannot read the audit keyring {path}: {exc.strerror}") from None
    return parse_keyring(text)


def new_key_line(key_id: str | None = None) -> str:
    return f"{key_id or 'k' + secrets.token_hex(4)}:{secrets.token_hex(MIN_KEY_BYTES)}"


def new_keyring_text() -> str:
    return (
        "# Firewatch audit HMAC keyring: first line signs, the others verify older entries.\n"
        f"{new_key_line()}\n"
    )
