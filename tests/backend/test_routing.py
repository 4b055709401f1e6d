"""A served app (`backend.app.create_served_app`) is ready for load before its first request:
its routing is built (FastAPI otherwise builds an included router's routes in the first
request that router matches, on the event loop of a process that may already be busy), and
its garbage collector is tuned for many requests in flight."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient

from backend.app import GC_YOUNG_THRESHOLD, create_app, create_served_app
from backend.config import get_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KEYLOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def garbage_collector_restored() -> Iterator[None]:
    """A served app tunes this (test) process's collector: put it back afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose routing FastAPI builds from now on."""
    built: list[str] = []
    build = fastapi.routing._EffectiveRouteContext.from_api_route

    def counted(**kwargs: Any) -> Any:
        built.append(kwargs["original_route"].path)
        return build(**kwargs)

    monkeypatch.setattr(fastapi.routing._EffectiveRouteContext, "from_api_route", counted)
    return built


def test_a_served_app_builds_its_routing_before_the_first_request(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_served_app()
    built = count_builds(monkeypatch)
    with TestClient(app) as client:
        for path in ("/api/v1/projects", "/api/v1/images/1", "/api/v1/jobs/1", "/api/v1/users"):
            assert client.get(path).status_code == 401
    assert built == []


def test_an_app_made_for_tests_builds_its_routing_on_first_use(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counterpart, so the test above cannot pass by counting nothing."""
    app = create_app()
    built = count_builds(monkeypatch)
    with TestClient(app) as client:
        assert client.get("/api/v1/projects").status_code == 401
    assert "/projects" in built


def test_a_served_app_collects_young_objects_less_often_and_freezes_what_it_made_at_start(
    data_dir: Path,
) -> None:
    before = gc.get_threshold()
    create_app()
    assert gc.get_threshold() == before, "an app made for tests leaves the collector alone"
    frozen_before = gc.get_freeze_count()
    create_served_app()
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    assert gc.get_freeze_count() > frozen_before
