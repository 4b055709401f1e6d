"""Model versions are numbered within their project (a project's first model is v1), by the
models for new rows and by migration 0008 for versions that existed before it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from backend.db.migrate import upgrade
from backend.models import ModelVersion, Project


def _version(project_id: int) -> ModelVersion:
    return ModelVersion(
        project_id=project_id, backbone="b", config={}, metrics={}, labeled_count=1,
        unlabeled_count=0, labels_snapshot={}, path="", is_active=False,
    )  # fmt: skip


def _project(db: Session, name: str) -> int:
    project = Project(name=name, description="", keypoint_schema={"keypoints": []}, settings={})
    db.add(project)
    db.flush()
    return project.id


def test_each_project_counts_its_own_versions_from_one(admin: TestClient, db: Session) -> None:
    a, b = _project(db, "a"), _project(db, "b")
    first_a = _version(a)
    db.add(first_a)
    db.flush()
    b1, b2 = _version(b), _version(b)
    db.add_all([b1, b2])  # two in one flush
    db.flush()
    second_a = _version(a)
    db.add(second_a)
    db.commit()
    assert (first_a.number, second_a.number) == (1, 2)
    assert sorted([b1.number, b2.number]) == [1, 2]
    listed = admin.get(f"/api/v1/projects/{b}/model-versions").json()
    assert sorted(v["number"] for v in listed) == [1, 2]


def test_the_migration_numbers_existing_versions_in_id_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0004")
    engine = create_engine(url)
    with engine.begin() as conn:
        for pid in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO projects (id, name, description, keypoint_schema, settings,"
                    " created_at, updated_at) VALUES (:id, :name, '', '{}', '{}',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": pid, "name": f"p{pid}"},
            )
        for vid, pid in ((1, 1), (2, 2), (3, 1), (4, 2), (5, 2)):
            conn.execute(
                text(
                    "INSERT INTO model_versions (id, project_id, backbone, config, metrics,"
                    " labeled_count, unlabeled_count, labels_snapshot, path, is_active,"
                    " created_at) VALUES (:id, :pid, 'b', '{}', '{}', 1, 0, '{}', '', 0,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"id": vid, "pid": pid},
            )
    upgrade(url, "0008")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, number FROM model_versions ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)]
