"""What the retraining policy counts as new annotations: an editor's saves and a reviewer's
changes, never an import or a reviewer's accept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.models import AnnotationRevision, Image
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from tests.backend.conftest import coco_upload, png_bytes, upload
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


def test_a_reviewers_fix_counts_as_a_new_annotation_but_an_accept_does_not(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    points = [{"name": "nose", "x": 10, "y": 12, "visibility": "visible"}]
    points += [{"name": n} for n in ("left_eye", "right_eye", "tail")]
    accepted, fixed = (
        int(upload(admin, project["id"], (f"{c}.png", png_bytes(color=c)))["created"][0]["id"])
        for c in ("red", "blue")
    )
    for image_id in (accepted, fixed):
        body = {"version": 0, "keypoints": points}
        assert admin.put(f"/api/v1/images/{image_id}/annotation", json=body).status_code == 200
    since = utcnow()

    review = {"version": 1, "decision": "accept"}
    assert admin.post(f"/api/v1/images/{accepted}/review", json=review).status_code == 200
    db.expire_all()
    assert changed_annotations_since(db, project["id"], since) == 0

    moved = {"name": "nose", "x": 14, "y": 12, "visibility": "visible"}
    review = {"version": 1, "decision": "fix", "keypoint": "nose", "keypoints": [moved]}
    assert admin.post(f"/api/v1/images/{fixed}/review", json=review).status_code == 200
    db.expire_all()
    assert changed_annotations_since(db, project["id"], since) == 1
