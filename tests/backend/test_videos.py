"""Videos through the API: upload and its refusals, single frames, frames into the project,
the image grid's video filter, and starting extraction and prediction jobs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from backend.api.deps import current_settings
from backend.config import Settings, get_settings
from backend.services.storage import LocalBlobStore
from backend.services.video_files import FrameReader
from tests.backend.conftest import png_bytes
from tests.video_support import shared_video, write_video


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_video(tmp_path / "mouse arena.mp4", frames=40, fps=20.0)


def upload_video(client: TestClient, project_id: int, name: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1/projects/{project_id}/videos", files={"file": (name, data, "video/mp4")}
    )


def stored_files(blob_dir: Path) -> list[Path]:
    return [p for p in blob_dir.rglob("*") if p.is_file()] if blob_dir.exists() else []


def test_upload_keeps_the_file_and_what_the_probe_read(
    admin: TestClient, project: dict[str, Any], clip: Path, blob_dir: Path
) -> None:
    r = upload_video(admin, project["id"], clip.name, clip.read_bytes())
    assert r.status_code == 201, r.text
    video = r.json()
    assert video["original_name"] == "mouse arena.mp4"
    assert (video["fps"], video["frame_count"], video["width"], video["height"]) == (20, 40, 64, 48)
    assert video["duration_s"] == pytest.approx(2.0)
    assert video["codec"] == "h264" and video["size_bytes"] == clip.stat().st_size
    assert LocalBlobStore(blob_dir).path_for(video["checksum"]).read_bytes() == clip.read_bytes()
    listed = admin.get(f"/api/v1/projects/{project['id']}/videos").json()
    assert [v["id"] for v in listed] == [video["id"]]
    download = admin.get(f"/api/v1/videos/{video['id']}/file")
    assert download.status_code == 200 and download.content == clip.read_bytes()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(5000), "not a readable video"),
        ("photo.mp4", png_bytes(), "a still image, not a video"),
        ("empty.mp4", b"", "empty file"),
    ],
)
def test_rejects_a_file_that_is_not_a_readable_video_and_stores_nothing(
    admin: TestClient,
    project: dict[str, Any],
    blob_dir: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    r = upload_video(admin, project["id"], name, data)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"] and name in r.json()["detail"]
    assert admin.get(f"/api/v1/projects/{project['id']}/videos").json() == []
    assert stored_files(blob_dir) == []


def test_rejects_a_truncated_video(
    admin: TestClient, project: dict[str, Any], clip: Path, blob_dir: Path
) -> None:
    r = upload_video(admin, project["id"], "cut.mp4", clip.read_bytes()[:600])
    assert r.status_code == 422, r.text
    assert stored_files(blob_dir) == []


def test_rejects_a_video_over_the_size_limit_before_storing_it(
    app: FastAPI, admin: TestClient, project: dict[str, Any], clip: Path, blob_dir: Path
) -> None:
    small = Settings(**{**get_settings().model_dump(), "max_video_bytes": 1000})
    app.dependency_overrides[current_settings] = lambda: small
    r = upload_video(admin, project["id"], clip.name, clip.read_bytes())
    assert r.status_code == 413 and "1000-byte video limit" in r.json()["detail"]
    assert stored_files(blob_dir) == []


def test_the_same_video_twice_in_a_project_is_a_conflict(
    admin: TestClient, project: dict[str, Any], clip: Path
) -> None:
    first = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    again = upload_video(admin, project["id"], "copy.mp4", clip.read_bytes())
    assert again.status_code == 409 and again.json()["video_id"] == first["id"]


@pytest.mark.parametrize("codec", ["mjpeg", "mpeg4"])
def test_other_containers_and_codecs_are_read(
    admin: TestClient, project: dict[str, Any], tmp_path: Path, codec: str
) -> None:
    suffix = {"mjpeg": ".avi", "mpeg4": ".mkv"}[codec]
    path = write_video(tmp_path / f"clip{suffix}", frames=12, codec=codec)
    r = upload_video(admin, project["id"], path.name, path.read_bytes())
    assert r.status_code == 201, r.text
    assert r.json()["frame_count"] == 12 and r.json()["codec"] == codec


def test_a_single_frame_is_the_decoded_frame_at_that_index(
    admin: TestClient, project: dict[str, Any], clip: Path
) -> None:
    video = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    with FrameReader(clip, 20.0) as reader:
        expected = {f.index: f.pixels() for f in reader.sequential()}
    for index in (0, 17, 16, 39):
        r = admin.get(f"/api/v1/videos/{video['id']}/frames/{index}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(r.content))), expected[index])
    beyond = admin.get(f"/api/v1/videos/{video['id']}/frames/40")
    assert beyond.status_code == 422 and "40 frames" in beyond.json()["detail"]


def test_adding_frames_makes_images_named_as_deeplabcut_names_them_once(
    admin: TestClient, project: dict[str, Any], clip: Path
) -> None:
    video = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    url = f"/api/v1/videos/{video['id']}/frames"
    r = admin.post(url, json={"frame_indices": [12, 3]})
    assert r.status_code == 201, r.text
    created = r.json()["created"]
    assert [i["original_name"] for i in created] == [
        "mouse arena/img00003.png",
        "mouse arena/img00012.png",
    ]
    assert [(i["video_id"], i["frame_index"], i["frame_time"]) for i in created] == [
        (video["id"], 3, pytest.approx(0.15)),
        (video["id"], 12, pytest.approx(0.6)),
    ]
    again = admin.post(url, json={"frame_indices": [3, 4]}).json()
    assert [i["frame_index"] for i in again["created"]] == [4]
    assert again["already_present"] == [{"frame_index": 3, "image_id": created[0]["id"]}]
    assert admin.get(f"/api/v1/videos/{video['id']}").json()["frame_images"] == 3


def test_the_image_list_filters_and_orders_by_video(
    admin: TestClient, project: dict[str, Any], clip: Path, tmp_path: Path
) -> None:
    other = write_video(tmp_path / "other.mp4", frames=10, width=32, height=32)
    a = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    b = upload_video(admin, project["id"], other.name, other.read_bytes()).json()
    admin.post(f"/api/v1/videos/{a['id']}/frames", json={"frame_indices": [30, 2]})
    admin.post(f"/api/v1/videos/{b['id']}/frames", json={"frame_indices": [1]})
    admin.post(f"/api/v1/videos/{a['id']}/frames", json={"frame_indices": [10]})
    images = f"/api/v1/projects/{project['id']}/images"
    admin.post(images, files=[("files", ("still.png", png_bytes(), "image/png"))])
    of_a = admin.get(images, params={"video_id": a["id"]}).json()
    assert [i["frame_index"] for i in of_a["items"]] == [2, 10, 30]
    loose = admin.get(images, params={"video_id": 0}).json()
    assert [i["original_name"] for i in loose["items"]] == ["still.png"]


def test_the_grid_groups_pages_video_by_video_and_counts_labeled_frames(
    admin: TestClient, project: dict[str, Any], clip: Path, tmp_path: Path
) -> None:
    other = write_video(tmp_path / "other.mp4", frames=10, width=32, height=32)
    images = f"/api/v1/projects/{project['id']}/images"
    admin.post(images, files=[("files", ("still.png", png_bytes(), "image/png"))])
    b = upload_video(admin, project["id"], other.name, other.read_bytes()).json()
    a = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    admin.post(f"/api/v1/videos/{a['id']}/frames", json={"frame_indices": [30, 2]})
    frame = admin.post(f"/api/v1/videos/{b['id']}/frames", json={"frame_indices": [1]}).json()
    admin.post(f"/api/v1/videos/{a['id']}/frames", json={"frame_indices": [10]})
    pages = [
        admin.get(images, params={"by_video": True, "offset": n, "limit": 2}).json()
        for n in (0, 2, 4)
    ]
    assert [(i["video_id"], i["frame_index"]) for p in pages for i in p["items"]] == [
        (b["id"], 1),
        (a["id"], 2),
        (a["id"], 10),
        (a["id"], 30),
        (None, None),
    ]
    assert pages[0]["total"] == 5
    # A labeled frame counts in the project's video list.
    image_id = frame["created"][0]["id"]
    points = [{"name": "nose", "x": 3, "y": 4, "visibility": "visible"}]
    points += [{"name": n} for n in ("left_eye", "right_eye", "tail")]
    done = {"version": 0, "done": True, "keypoints": points}
    assert admin.put(f"/api/v1/images/{image_id}/annotation", json=done).status_code == 200
    listed = admin.get(f"/api/v1/projects/{project['id']}/videos").json()
    assert [(v["frame_images"], v["frames_labeled"]) for v in listed] == [(1, 1), (3, 0)]
    # One video reads with the same counts as in the list.
    for v in listed:
        one = admin.get(f"/api/v1/videos/{v['id']}").json()
        assert (one["frame_images"], one["frames_labeled"]) == (
            v["frame_images"],
            v["frames_labeled"],
        )


def test_deleting_a_video_keeps_its_frames_and_their_labels(
    admin: TestClient, project: dict[str, Any], clip: Path, blob_dir: Path
) -> None:
    video = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    frame = admin.post(f"/api/v1/videos/{video['id']}/frames", json={"frame_indices": [5]})
    image_id = frame.json()["created"][0]["id"]
    assert admin.delete(f"/api/v1/videos/{video['id']}").status_code == 204
    image = admin.get(f"/api/v1/images/{image_id}").json()
    assert image["video_id"] is None and image["frame_index"] == 5
    assert not LocalBlobStore(blob_dir).exists(video["checksum"])
    assert admin.get(f"/api/v1/images/{image_id}/file").status_code == 200


def test_an_extraction_job_converts_its_time_range_to_frames(
    admin: TestClient, project: dict[str, Any], clip: Path
) -> None:
    video = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    url = f"/api/v1/videos/{video['id']}/extract-frames"
    r = admin.post(url, json={"method": "uniform", "count": 5, "start_s": 0.5, "end_s": 1.0})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "extract_frames"
    assert (job["options"]["start_frame"], job["options"]["end_frame"]) == (10, 20)
    empty = admin.post(url, json={"method": "uniform", "count": 5, "start_s": 9.0})
    assert empty.status_code == 422 and "holds no frame" in empty.json()["detail"]
    backwards = admin.post(url, json={"count": 5, "start_s": 1.0, "end_s": 0.5})
    assert backwards.status_code == 422


def test_uncertain_extraction_and_prediction_need_a_model(
    admin: TestClient, project: dict[str, Any], clip: Path
) -> None:
    video = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    r = admin.post(
        f"/api/v1/videos/{video['id']}/extract-frames", json={"method": "uncertain", "count": 3}
    )
    assert r.status_code == 409 and "no active model" in r.json()["detail"]
    r = admin.post(f"/api/v1/videos/{video['id']}/predictions", json={})
    assert r.status_code == 409 and "no active model" in r.json()["detail"]


def test_results_of_a_job_that_is_not_a_video_prediction_are_refused(
    admin: TestClient, project: dict[str, Any], clip: Path
) -> None:
    video = upload_video(admin, project["id"], clip.name, clip.read_bytes()).json()
    job = admin.post(f"/api/v1/videos/{video['id']}/extract-frames", json={"count": 2}).json()
    r = admin.get(f"/api/v1/jobs/{job['id']}/video-results/csv")
    assert r.status_code == 422 and "not a video prediction" in r.json()["detail"]


def test_a_real_recording_is_probed_exactly(admin: TestClient, project: dict[str, Any]) -> None:
    path = shared_video("centered_pair_low_quality.mp4")
    video = upload_video(admin, project["id"], path.name, path.read_bytes()).json()
    assert (video["frame_count"], video["fps"], video["width"]) == (1100, 15, 384)
    r = admin.get(f"/api/v1/videos/{video['id']}/frames/1099")
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("video_name", "expected"),
    [
        ("mouse arena.mp4", "mouse arena/img00007.png"),
        ("../../etc.mp4", "etc/img00007.png"),
        ('cam"1".avi', "cam_1_/img00007.png"),
        ("..mp4", "video-3/img00007.png"),
    ],
)
def test_frame_names_are_deeplabcut_folders_with_nothing_path_like(
    video_name: str, expected: str
) -> None:
    from backend.services.videos import frame_name

    assert frame_name(video_name, 3, 7) == expected
