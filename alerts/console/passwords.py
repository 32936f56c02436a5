"""Password hashes for console sign-in: hashlib.scrypt, salted, constant-time compare.

A refusal costs the same for every member id: an unknown member, or one who cannot sign in,
is checked against a dummy hash with the same parameters (issue 12: ~86 ms against ~5 ms let
member ids be enumerated).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

# RFC 7914 §2 interactive parameters: about 16 MiB and a few tens of ms per sign-in.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


@functools.cache
def _dummy() -> str:
    """Made once, on first use, with the parameters above; nobody's password."""
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        _check(password, _dummy())
        return False
    return _check(password, stored)


def _check(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest_hex) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)
