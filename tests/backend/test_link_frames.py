"""A video uploaded after its labeled frames were imported: the frames that really are its
frames are linked to it by a `link_frames` job, run in-process as the worker runs it, against an
API on the same database (`live_admin`)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.session import session_scope
from backend.models import Role, Video
from backend.services import frame_links
from backend.services.frame_links import FrameLink, Linked
from tests.backend.conftest import ClientFactory
from tests.backend.formats.helpers import (
    frames_of,
    image_bytes,
    import_by_job,
    links,
    project_files,
    zip_of,
)
from tests.backend.formats.test_sleap_video_import import video_slp
from tests.backend.test_videos import upload_video
from tests.video_support import write_video
from worker import job_state
from worker.jobs import link_frames as link_frames_job
from worker.jobs.link_frames import run_link_job

FPS = 25.0  # write_video's
SCHEMA = {"keypoints": [{"name": "nose"}, {"name": "tail"}], "skeleton": [["nose", "tail"]]}


@pytest.fixture
def cam1(tmp_path: Path) -> Path:
    return write_video(tmp_path / "cam1.mp4", frames=40)


def import_frames(
    client: TestClient, frames: dict[str, dict[str, bytes]], project_id: int | None = None
) -> int:
    """A DeepLabCut project's labeled-data folders imported without their videos: the project."""
    files = project_files(frames, {})
    job = import_by_job(client, "dlc", [("reach.zip", zip_of(files))], project_id)
    return int(job["project_id"])


def upload(client: TestClient, project_id: int, video: Path) -> dict[str, Any]:
    r = upload_video(client, project_id, video.name, video.read_bytes())
    assert r.status_code == 201, r.text
    return dict(r.json())


def run(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    """Run the job as the worker does: its report."""
    assert job["kind"] == "link_frames" and job["state"] == "queued", job
    assert run_link_job(job["id"]) == "succeeded"
    done = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["state"] == "succeeded", done["error"]
    return dict(done["progress"]["report"])


def relink(client: TestClient, video_id: int) -> dict[str, Any]:
    r = client.post(f"/api/v1/videos/{video_id}/link-frames")
    assert r.status_code == 202, r.text
    return run(client, r.json())


def linked(settings: Settings, project_id: int) -> dict[str, tuple[str | None, int | None]]:
    with session_scope(settings.database_url) as session:
        return links(session, project_id)


def recoded(png: bytes) -> bytes:
    """The same pixels as other bytes (another checksum: another image)."""
    out = io.BytesIO()
    PILImage.open(io.BytesIO(png)).save(out, "PNG", compress_level=9)
    assert out.getvalue() != png
    return out.getvalue()


def during_the_check(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], object]) -> None:
    """`meanwhile()` runs once, while the job compares its first image with its frame (no
    transaction of the job open); the job then reads its cancel flag at once."""
    should_stop = job_state.ProgressReporter.should_stop
    pending = [meanwhile]

    def hook(self: job_state.ProgressReporter) -> bool:
        if pending:
            pending.pop()()
            self.flush()
        return should_stop(self)

    monkeypatch.setattr(job_state.ProgressReporter, "should_stop", hook)


def test_a_video_uploaded_after_its_frames_links_the_true_frames_and_exports_them_back(
    live_admin: TestClient, live_settings: Settings, cam1: Path
) -> None:
    third, twelfth = frames_of(cam1, 3, 12)
    project_id = import_frames(
        live_admin,
        {
            "cam1": {"img03.png": third, "img12.png": twelfth},
            "other": {"img03.png": recoded(third)},  # frame 3 by its pixels, not by its folder
        },
    )
    video = upload(live_admin, project_id, cam1)
    assert video["link_job"] is not None, "the upload starts the link job itself"
    report = run(live_admin, video["link_job"])

    assert {k: v for k, v in report.items() if k != "image_ids"} == {
        "video_id": video["id"],
        "claimed": 2,
        "linked": 2,
        "frame_indices": [3, 12],
        "not_linked": [],
    }
    frames = live_admin.get(
        f"/api/v1/projects/{project_id}/images", params={"video_id": video["id"]}
    ).json()["items"]
    assert [(i["original_name"], i["frame_index"]) for i in frames] == [
        ("cam1/img03.png", 3),
        ("cam1/img12.png", 12),
    ]
    assert [i["frame_time"] for i in frames] == [pytest.approx(3 / FPS), pytest.approx(12 / FPS)]
    assert sorted(report["image_ids"]) == sorted(i["id"] for i in frames)
    assert linked(live_settings, project_id)["other/img03.png"] == (None, None)
    (listed,) = live_admin.get(f"/api/v1/projects/{project_id}/videos").json()
    assert (listed["frame_images"], listed["frames_labeled"]) == (2, 2)

    export = live_admin.get(f"/api/v1/projects/{project_id}/export/dlc?videos=true")
    assert export.status_code == 200, export.text
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert archive.read("videos/cam1.mp4") == cam1.read_bytes()
    assert archive.read("labeled-data/cam1/img03.png") == third
    assert archive.read("labeled-data/cam1/img12.png") == twelfth


def test_images_that_are_not_the_frames_they_name_stay_unlinked_and_the_report_says_why(
    live_admin: TestClient, live_settings: Settings, cam1: Path
) -> None:
    third, sixth = frames_of(cam1, 3, 6)
    project_id = import_frames(
        live_admin,
        {
            "cam1": {
                "img03.png": third,
                "img05.png": sixth,  # a neighbour frame, named one off
                "img45.png": image_bytes(1),  # the video has 40 frames
                "img07.png": image_bytes(2, 80, 64),  # the video is 64x48
                "notes.png": image_bytes(3),
            }
        },
    )
    report = run(live_admin, upload(live_admin, project_id, cam1)["link_job"])

    assert (report["claimed"], report["linked"], report["frame_indices"]) == (5, 1, [3])
    assert report["not_linked"] == [
        {"reason": "numbered past its 40 frames", "count": 1, "names": ["cam1/img45.png"]},
        {"reason": "of size 80x64 vs the video's 64x48", "count": 1, "names": ["cam1/img07.png"]},
        {"reason": "not named img<N>", "count": 1, "names": ["cam1/notes.png"]},
        {
            "reason": "whose pixels differ from that frame's",
            "count": 1,
            "names": ["cam1/img05.png"],
        },
    ]
    assert linked(live_settings, project_id) == {
        "cam1/img03.png": ("cam1.mp4", 3),
        "cam1/img05.png": (None, None),
        "cam1/img45.png": (None, None),
        "cam1/img07.png": (None, None),
        "cam1/notes.png": (None, None),
    }


def test_linking_again_links_nothing_twice_and_links_frames_imported_after_the_video(
    live_admin: TestClient, live_settings: Settings, cam1: Path
) -> None:
    third, sixth, twelfth = frames_of(cam1, 3, 6, 12)
    project_id = import_frames(live_admin, {"cam1": {"img03.png": third, "img05.png": sixth}})
    video = upload(live_admin, project_id, cam1)
    twice = live_admin.post(f"/api/v1/videos/{video['id']}/link-frames")
    assert twice.status_code == 409, "one link job of a video at a time"
    assert twice.json()["job_id"] == video["link_job"]["id"]
    first = run(live_admin, video["link_job"])
    assert (first["linked"], first["frame_indices"]) == (1, [3])
    before = linked(live_settings, project_id)

    again = relink(live_admin, video["id"])
    assert (again["claimed"], again["linked"]) == (1, 0), "only the unlinked image claims"
    assert [r["names"] for r in again["not_linked"]] == [["cam1/img05.png"]]
    assert linked(live_settings, project_id) == before

    import_frames(live_admin, {"cam1": {"img12.png": twelfth}}, project_id)
    later = relink(live_admin, video["id"])
    assert (later["linked"], later["frame_indices"]) == (1, [12])
    assert linked(live_settings, project_id) == {**before, "cam1/img12.png": ("cam1.mp4", 12)}


def test_images_deleted_or_outrun_while_they_were_checked_are_left_as_they_now_are(
    live_admin: TestClient,
    live_settings: Settings,
    cam1: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    third, twelfth = frames_of(cam1, 3, 12)
    project_id = import_frames(
        live_admin, {"cam1": {"img03.png": recoded(third), "img12.png": twelfth}}
    )
    video = upload(live_admin, project_id, cam1)
    images = live_admin.get(f"/api/v1/projects/{project_id}/images").json()["items"]
    by_name = {i["original_name"]: i["id"] for i in images}

    def meanwhile() -> None:  # frame 3 becomes another image; img12.png goes
        assert live_admin.delete(f"/api/v1/images/{by_name['cam1/img12.png']}").status_code == 204
        r = live_admin.post(f"/api/v1/videos/{video['id']}/frames", json={"frame_indices": [3]})
        assert r.status_code == 201, r.text

    during_the_check(monkeypatch, meanwhile)
    report = run(live_admin, video["link_job"])

    assert report["linked"] == 0
    assert [(r["reason"], r["names"]) for r in report["not_linked"]] == [
        ("deleted meanwhile", ["cam1/img12.png"]),  # with its file: found when read
        ("whose frame is another image of the video already", ["cam1/img03.png"]),
    ]
    assert linked(live_settings, project_id) == {
        "cam1/img03.png": (None, None),
        "cam1/img00003.png": ("cam1.mp4", 3),
    }


def test_a_frame_another_transaction_links_as_the_job_writes_is_reported_taken(
    live_admin: TestClient,
    live_settings: Settings,
    cam1: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL, a frame linked by a transaction not yet committed when the job's write
    checked is refused by the unique (video, frame) constraint: the job's write is retried once
    and reports the frame as taken, instead of failing."""
    (third,) = frames_of(cam1, 3)
    project_id = import_frames(live_admin, {"cam1": {"img03.png": recoded(third)}})
    video = upload(live_admin, project_id, cam1)
    real = frame_links.link_images
    calls = []

    def racing(session: Session, target: Video, links: list[FrameLink]) -> Linked:
        calls.append(len(links))
        if len(calls) == 1:  # the other writer commits frame 3; the constraint refuses ours
            r = live_admin.post(f"/api/v1/videos/{video['id']}/frames", json={"frame_indices": [3]})
            assert r.status_code == 201, r.text
            raise IntegrityError("UPDATE images", {}, Exception("uq_images_video_frame"))
        return real(session, target, links)

    monkeypatch.setattr(link_frames_job, "link_images", racing)
    report = run(live_admin, video["link_job"])

    assert calls == [1, 1] and report["linked"] == 0
    assert [(r["reason"], r["names"]) for r in report["not_linked"]] == [
        ("whose frame is another image of the video already", ["cam1/img03.png"]),
    ]
    assert linked(live_settings, project_id)["cam1/img03.png"] == (None, None)


def test_two_link_jobs_at_once_link_each_image_once(
    live_admin: TestClient,
    live_settings: Settings,
    cam1: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two videos of one stem (the same frames in another container) both claim the folder;
    one link job per video may run at once (a second of the same video is a 409, above)."""
    third, twelfth = frames_of(cam1, 3, 12)
    project_id = import_frames(live_admin, {"cam1": {"img03.png": third, "img12.png": twelfth}})
    video = upload(live_admin, project_id, cam1)
    other = upload(live_admin, project_id, write_video(tmp_path / "cam1.mkv", frames=40))
    inner: list[dict[str, Any]] = []
    # The other upload's job runs to its end while the first one's checks its first image.
    during_the_check(monkeypatch, lambda: inner.append(run(live_admin, other["link_job"])))
    outer = run(live_admin, video["link_job"])

    assert (inner[0]["linked"], inner[0]["frame_indices"]) == (2, [3, 12])
    assert outer["linked"] == 0
    assert [(r["reason"], r["count"]) for r in outer["not_linked"]] == [
        ("linked to a video meanwhile", 2)
    ]
    assert linked(live_settings, project_id) == {
        "cam1/img03.png": ("cam1.mkv", 3),
        "cam1/img12.png": ("cam1.mkv", 12),
    }


def test_frames_a_sleap_package_embedded_are_linked_when_their_video_is_uploaded(
    live_admin: TestClient, live_settings: Settings, tmp_path: Path
) -> None:
    """A `.pkg.slp` names the frames it embeds after the video they were taken from
    (`arena_000003.png`); uploading that video later links them as a DeepLabCut folder's."""
    arena = write_video(tmp_path / "arena.mp4", frames=40)
    package = video_slp(tmp_path / "labels.pkg.slp", arena, [3, 12], embed="user")
    job = import_by_job(live_admin, "sleap", [(package.name, package.read_bytes())])
    project_id = int(job["project_id"])
    assert linked(live_settings, project_id) == {
        "arena_000003.png": (None, None),
        "arena_000012.png": (None, None),
    }

    report = run(live_admin, upload(live_admin, project_id, arena)["link_job"])

    assert (report["claimed"], report["linked"], report["frame_indices"]) == (2, 2, [3, 12])
    assert linked(live_settings, project_id) == {
        "arena_000003.png": ("arena.mp4", 3),
        "arena_000012.png": ("arena.mp4", 12),
    }


def test_a_cancelled_link_job_links_nothing(
    live_admin: TestClient,
    live_settings: Settings,
    cam1: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (third,) = frames_of(cam1, 3)
    project_id = import_frames(live_admin, {"cam1": {"img03.png": third}})
    job = upload(live_admin, project_id, cam1)["link_job"]
    during_the_check(monkeypatch, lambda: live_admin.post(f"/api/v1/jobs/{job['id']}/cancel"))

    assert run_link_job(job["id"]) == "cancelled"
    assert live_admin.get(f"/api/v1/jobs/{job['id']}").json()["state"] == "cancelled"
    assert linked(live_settings, project_id) == {"cam1/img03.png": (None, None)}


def test_an_upload_starts_no_job_when_no_image_claims_its_frames_and_viewers_start_none(
    client_as: ClientFactory, project: dict[str, Any], cam1: Path
) -> None:
    admin = client_as(Role.admin)
    r = admin.post(
        f"/api/v1/projects/{project['id']}/images",
        files=[("files", ("cam1.png", image_bytes(1), "image/png"))],  # no folder: no claim
    )
    assert r.status_code == 201, r.text
    video = upload(admin, project["id"], cam1)
    assert video["link_job"] is None
    viewer = client_as(Role.viewer)
    assert viewer.post(f"/api/v1/videos/{video['id']}/link-frames").status_code == 403
    annotator = client_as(Role.annotator)
    started = annotator.post(f"/api/v1/videos/{video['id']}/link-frames")
    assert started.status_code == 202, started.text
    assert (started.json()["kind"], started.json()["options"]) == (
        "link_frames",
        {"video_id": video["id"]},
    )


def test_frames_of_a_deleted_video_are_linked_again_when_it_is_uploaded_again(
    live_admin: TestClient, live_settings: Settings, tmp_path: Path
) -> None:
    """Keyloop names a video's frames after its stem made safe (`mouse _1_/img00004.png`)."""
    clip = write_video(tmp_path / "mouse (1).mp4", frames=20)
    r = live_admin.post("/api/v1/projects", json={"name": "m", "keypoint_schema": SCHEMA})
    project_id = r.json()["id"]
    video = upload(live_admin, project_id, clip)
    assert video["link_job"] is None
    added = live_admin.post(f"/api/v1/videos/{video['id']}/frames", json={"frame_indices": [4]})
    assert added.json()["created"][0]["original_name"] == "mouse _1_/img00004.png"
    assert live_admin.delete(f"/api/v1/videos/{video['id']}").status_code == 204

    again = upload(live_admin, project_id, clip)
    report = run(live_admin, again["link_job"])
    assert (report["linked"], report["frame_indices"]) == (1, [4])
    assert linked(live_settings, project_id) == {"mouse _1_/img00004.png": ("mouse (1).mp4", 4)}
