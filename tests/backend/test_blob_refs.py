"""A stored file goes only when no image and no video holds its checksum: images and videos
share one content-addressed store."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Video
from backend.services.storage import LocalBlobStore
from tests.backend.conftest import SCHEMA, png_bytes, upload


def _video_holding(db: Session, project_id: int, checksum: str) -> None:
    db.add(
        Video(
            project_id=project_id, checksum=checksum, original_name="clip.mp4", fps=25.0,
            frame_count=1, duration_s=0.04, width=8, height=8, size_bytes=1, codec="h264",
        )
    )  # fmt: skip
    db.commit()


def test_an_images_file_stays_while_another_project_or_a_video_holds_the_same_bytes(
    admin: TestClient, db: Session, blob_dir: Path
) -> None:
    data = png_bytes()
    ids = []
    for name in ("a", "b"):
        r = admin.post("/api/v1/projects", json={"name": name, "keypoint_schema": SCHEMA})
        project = r.json()
        ids.append(upload(admin, project["id"], ("same.png", data))["created"][0]["id"])
    checksum = admin.get(f"/api/v1/images/{ids[0]}").json()["checksum"]
    stored = LocalBlobStore(blob_dir).path_for(checksum)
    project_id = admin.get(f"/api/v1/images/{ids[0]}").json()["project_id"]
    _video_holding(db, project_id, checksum)

    assert admin.delete(f"/api/v1/images/{ids[0]}").status_code == 204
    assert stored.is_file(), "the other project's image holds it"
    assert admin.delete(f"/api/v1/images/{ids[1]}").status_code == 204
    assert stored.is_file(), "the video holds it"
    video = db.scalars(select(Video).where(Video.checksum == checksum)).one()
    assert admin.delete(f"/api/v1/videos/{video.id}").status_code == 204
    assert not stored.exists(), "nothing holds it now"
