from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.config import Settings, get_settings
from backend.db.migrate import upgrade


@pytest.fixture
def worker_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point the worker code (which reads settings itself) at a fresh migrated database."""
    monkeypatch.setenv("KEYLOOP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.database_url)
    yield settings
    get_settings.cache_clear()
