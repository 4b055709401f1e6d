"""The API keeps an idle connection open longer than its clients do, so a client never sends on
a connection the server is closing that instant ("Server disconnected without sending a
response", seen once in CI when uvicorn's 5 s default met httpx's 5 s pool expiry)."""

from __future__ import annotations

import http.client
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from backend.serve import API_KEEP_ALIVE_S, uvicorn_argv
from tests.backend.live_server import live_api

HTTPX_POOL_EXPIRY_S = httpx.Limits().keepalive_expiry
COMMON_PROXY_IDLE_S = 60  # nginx's keepalive_timeout is 75 s, AWS ALB's idle timeout 60 s


def test_the_served_api_outlasts_the_clients_idle_limits() -> None:
    argv = uvicorn_argv("backend.app:create_served_app", "127.0.0.1", 8000, workers=2)
    assert argv[argv.index("--timeout-keep-alive") + 1] == str(API_KEEP_ALIVE_S)
    assert HTTPX_POOL_EXPIRY_S is not None
    assert max(HTTPX_POOL_EXPIRY_S, COMMON_PROXY_IDLE_S) < API_KEEP_ALIVE_S


@pytest.mark.slow
def test_a_connection_idle_past_uvicorns_default_still_answers(tmp_path: Path) -> None:
    with live_api(tmp_path) as api:
        netloc = urlsplit(api.url)
        conn = http.client.HTTPConnection(netloc.hostname or "", netloc.port, timeout=10)
        try:
            for pause_s in (0.0, 6.5):  # uvicorn's default closes after 5 s idle
                time.sleep(pause_s)
                conn.request("GET", "/api/v1/health")
                response = conn.getresponse()
                assert response.status == 200
                response.read()
        finally:
            conn.close()
