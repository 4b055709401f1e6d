"""What the retraining policy counts as new annotations: an editor's saves, never an import's."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AnnotationRevision, Image
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.conftest import coco_upload
from tests.backend.formats.helpers import make_user, run_import, write_tree
from worker.policy import changed_annotations_since


def test_an_import_adds_no_new_annotations_for_the_policy_but_an_edit_does(
    admin: TestClient, db: Session, blob_dir: Path, tmp_path: Path
) -> None:
    write_tree(tmp_path / "in", dict(coco_upload()))
    report = run_import(
        db, LocalBlobStore(blob_dir), Format.coco, tmp_path / "in", user=make_user(db), name="x"
    )
    assert report.annotations_saved >= 1
    pid = report.project_id
    origins = db.scalars(
        select(AnnotationRevision.origin).join(Image).where(Image.project_id == pid)
    ).all()
    assert origins and set(origins) == {"import"}
    assert changed_annotations_since(db, pid, None) == 0

    image_id = db.scalars(
        select(Image.id).where(Image.project_id == pid).order_by(Image.id)
    ).first()
    current = admin.get(f"/api/v1/images/{image_id}/annotation").json()
    body = {"version": current["version"], "keypoints": current["keypoints"], "done": False}
    r = admin.put(f"/api/v1/images/{image_id}/annotation", json=body)
    assert r.status_code == 200, r.text
    db.expire_all()
    assert changed_annotations_since(db, pid, None) == 1
