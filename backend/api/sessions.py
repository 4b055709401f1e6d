"""Browser sessions: a signed, expiring cookie carrying the user id, plus a CSRF token.

CSRF protection is double-submit: the login response sets a readable `keyloop_csrf` cookie
and every cookie-authenticated write must echo it in `X-CSRF-Token`. A cross-site page can
make the browser send cookies but cannot read them, so it cannot forge the header.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "keyloop_session"
CSRF_COOKIE = "keyloop_csrf"
CSRF_HEADER = "X-CSRF-Token"


class SessionCodec:
    def __init__(self, secret_key: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="keyloop-session")
        self.max_age_s = max_age_s

    def encode(self, user_id: int, csrf_token: str) -> str:
        return self._serializer.dumps({"uid": user_id, "csrf": csrf_token})

    def decode(self, cookie: str) -> tuple[int, str] | None:
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
            return None
        return data["uid"], str(data.get("csrf", ""))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected, given)
