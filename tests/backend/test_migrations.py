"""Migrations go up and down on both databases, and agree with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select

from backend.db.migrate import downgrade, upgrade
from backend.models import Base
from tests.databases import DATABASES


@pytest.fixture(params=DATABASES)
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


@pytest.mark.slow
def test_jobs_keep_their_rows_options_and_links_down_and_up_across_the_rename(
    empty_db_url: str,
) -> None:
    """0014 renames `training_jobs` to `jobs`: rows, the options JSON and the foreign keys
    that point at a job survive it both ways."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from backend.models import Evaluation, Job, JobKind, ModelVersion, Project
    from backend.schemas.job_options import TrainOptions, options_of

    options = {"trigger": "policy", "reason": "12 images annotated", "seed": 3}
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with Session(engine) as session:
        project = Project(name="p", keypoint_schema={"keypoints": []}, settings={})
        session.add(project)
        session.flush()
        job = Job(project_id=project.id, kind=JobKind.train, options=options, progress={})
        session.add(job)
        session.flush()
        version = ModelVersion(
            project_id=project.id, training_job_id=job.id, backbone="b", config={}, metrics={},
            labeled_count=0, unlabeled_count=0, labels_snapshot={}, path="x",
        )  # fmt: skip
        session.add(version)
        session.flush()
        session.add(Evaluation(model_version_id=version.id, job_id=job.id, alpha=0.1, metrics={}))
        session.commit()
        job_id = job.id
    engine.dispose()

    downgrade(empty_db_url, "0013")
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT id, kind FROM training_jobs")).all()
        assert [tuple(row) for row in kinds] == [(job_id, "train")]
        linked = conn.execute(
            text(
                "SELECT count(*) FROM model_versions m JOIN training_jobs j"
                " ON m.training_job_id = j.id JOIN evaluations e ON e.job_id = j.id"
            )
        ).scalar_one()
        assert linked == 1
    engine.dispose()

    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as conn, Session(conn) as session:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")  # as the app's engine does
        job = session.get_one(Job, job_id)
        assert job.options == options
        assert options_of(job, TrainOptions) == TrainOptions(
            trigger="policy", reason="12 images annotated", seed=3
        )
        session.delete(job)  # the links are ON DELETE SET NULL, on the renamed table too
        session.commit()
        assert session.scalars(select(ModelVersion.training_job_id)).all() == [None]
        assert session.scalars(select(Evaluation.job_id)).all() == [None]
    engine.dispose()
