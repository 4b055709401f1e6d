from __future__ import annotations

import pytest

from backend.config import Settings


@pytest.fixture
def worker_settings(live_settings: Settings) -> Settings:
    """Point the worker code (which reads settings itself) at a fresh migrated database."""
    return live_settings
