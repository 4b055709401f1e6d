"""Passwords (argon2) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id at argon2-cffi's defaults (RFC 9106's second recommended setting: 64 MiB, 3 passes).
PRODUCTION_PASSWORD_HASHER = PasswordHasher()
_hasher = PRODUCTION_PASSWORD_HASHER

TOKEN_PREFIX = "kl_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_against_nobody(password: str) -> None:
    """Spend what checking a real password costs, for a login with an unknown email: without
    it an unknown email answers several times faster, which tells who has an account."""
    verify_password(_dummy_hash(), password)


def new_api_token() -> tuple[str, str]:
    """Return (token shown once to the user, hash stored in the database)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a fast hash is enough; argon2 would only slow requests.
    return hashlib.sha256(token.encode()).hexdigest()
