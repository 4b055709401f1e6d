"""Migrations go up and down on both databases, and agree with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backend.db.migrate import downgrade, upgrade
from backend.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    from sqlalchemy import text

    base = request.getfixturevalue("postgres_url")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS keyloop_migrations"))
        conn.execute(text("CREATE DATABASE keyloop_migrations"))
    engine.dispose()
    return str(base).rsplit("/", 1)[0] + "/keyloop_migrations"


def test_upgrade_then_downgrade_to_base_and_back(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    assert {"users", "projects", "images", "annotations", "predictions"} <= set(
        inspect(engine).get_table_names()
    )
    downgrade(empty_db_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_db_url)
    engine.dispose()


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"run an autogenerate revision: {diff}"
