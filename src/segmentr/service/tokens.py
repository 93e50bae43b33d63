"""Secrets the service hands out once and keeps only as hashes: API key secrets, session and invitation tokens.

Each is ≥ 32 random bytes, so SHA-256 of it is a safe stored form (nothing to brute-force, unlike a password,
which gets argon2: ``service/auth.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

__all__ = ["base62", "derived", "digest", "new_id", "new_token", "same_digest"]

_BASE62 = string.digits + string.ascii_letters
# 32 random bytes are at most 43 base62 digits.
_TOKEN_BYTES = 32
_TOKEN_DIGITS = 43


def base62(data: bytes, width: int) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def new_token() -> str:
    """A fresh 32-byte secret in base62 (43 characters): URL- and cookie-safe, no punctuation to escape."""
    return base62(secrets.token_bytes(_TOKEN_BYTES), _TOKEN_DIGITS)


def new_id(prefix: str, length: int = 16) -> str:
    """An opaque id with a type prefix (``key_…``, ``inv_…``)."""
    return f"{prefix}_" + "".join(secrets.choice(_BASE62) for _ in range(length))


def digest(secret: str) -> str:
    """The stored form of a high-entropy secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    """Whether ``secret`` hashes to ``stored``, compared in constant time."""
    return hmac.compare_digest(digest(secret), stored)


def derived(secret: str, purpose: str) -> str:
    """A second secret bound to ``secret`` (the CSRF token of a session), recomputed instead of stored."""
    mac = hmac.new(secret.encode("utf-8"), purpose.encode("utf-8"), hashlib.sha256).digest()
    return base62(mac, _TOKEN_DIGITS)
