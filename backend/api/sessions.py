"""Browser session cookies: a signed, expiring cookie carrying the session's secret, plus a
CSRF token.

The secret identifies a `UserSession` row (`services/user_sessions.py`), which is what makes a
session valid: deleting the row ends it even where the cookie was copied. The signature and
its max age are defence in depth: a forged or stale cookie is refused before any lookup.

CSRF protection is double-submit: the login response sets a readable `keyloop_csrf` cookie
and every cookie-authenticated write must echo it in `X-CSRF-Token`. A cross-site page can
make the browser send cookies but cannot read them, so it cannot forge the header.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "keyloop_session"
CSRF_COOKIE = "keyloop_csrf"
CSRF_HEADER = "X-CSRF-Token"


class SessionCodec:
    def __init__(self, secret_key: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="keyloop-session")
        self.max_age_s = max_age_s

    def encode(self, session_secret: str, csrf_token: str) -> str:
        return self._serializer.dumps({"sid": session_secret, "csrf": csrf_token})

    def decode(self, cookie: str) -> tuple[str, str] | None:
        """(session secret, CSRF token), or None for a forged, stale or old-format cookie."""
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            return None
        return data["sid"], str(data.get("csrf", ""))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected, given)


def set_session_cookies(
    response: Response, cookie: str, csrf_token: str, *, max_age_s: int, secure: bool
) -> None:
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=max_age_s, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf_token, max_age=max_age_s, httponly=False, samesite="strict", secure=secure
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
