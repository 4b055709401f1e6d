"""Frame extraction and whole-video prediction jobs, run in-process as the worker runs them,
against an API on the same database (`live_admin`)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend import data_layout
from backend.app import create_app
from backend.config import Settings
from backend.db.session import session_scope
from backend.models import ModelVersion, Role
from backend.services.users import create_user
from backend.services.video_files import FrameReader, probe
from tests.backend.conftest import PASSWORD
from tests.test_layering import _assert_no_torch_after
from tests.video_support import shared_video, write_video
from worker import job_state
from worker.frame_extraction import run_extract_job
from worker.ml.checkpoint import save_checkpoint
from worker.ml.config import ModelConfig, TrainConfig
from worker.ml.model import KeypointModel
from worker.video_predicting import run_predict_video_job
from worker.video_uncertain import uncertain_picker

NAMES = ["nose", "tail"]
SCHEMA = {
    "keypoints": [{"name": "nose", "color": "#ff0000"}, {"name": "tail", "color": "#00ff00"}],
    "skeleton": [["nose", "tail"]],
}


@pytest.fixture
def live_admin(live_settings: Settings) -> Iterator[TestClient]:
    """An admin's client of an app on `live_settings`' database (what the jobs see)."""
    with session_scope(live_settings.database_url) as session:
        create_user(session, "admin@example.com", PASSWORD, Role.admin)
    with TestClient(create_app()) as client:
        login = {"email": "admin@example.com", "password": PASSWORD}
        r = client.post("/api/v1/auth/login", json=login)
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield client


@pytest.fixture
def project_id(live_admin: TestClient) -> int:
    r = live_admin.post("/api/v1/projects", json={"name": "mice", "keypoint_schema": SCHEMA})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def upload(client: TestClient, project_id: int, path: Path) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/projects/{project_id}/videos",
        files={"file": (path.name, path.read_bytes(), "video/mp4")},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def extract(client: TestClient, video_id: int, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/videos/{video_id}/extract-frames", json=body)
    assert r.status_code == 202, r.text
    return dict(r.json())


def frames_of(client: TestClient, project_id: int, video_id: int) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/projects/{project_id}/images", params={"video_id": video_id})
    return list(r.json()["items"])


def test_uniform_extraction_spreads_frames_over_the_range_and_never_repeats_one(
    live_admin: TestClient, live_settings: Settings, project_id: int, tmp_path: Path
) -> None:
    video = upload(live_admin, project_id, write_video(tmp_path / "run.mp4", frames=60))
    job = extract(live_admin, video["id"], method="uniform", count=4, start_s=0.4)
    assert run_extract_job(job["id"]) == "succeeded"
    done = live_admin.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["state"] == "succeeded" and done["progress"]["report"]["created"] == 4
    images = frames_of(live_admin, project_id, video["id"])
    assert [i["frame_index"] for i in images] == [10, 26, 43, 59]
    assert images[0]["original_name"] == "run/img00010.png"
    assert images[0]["frame_time"] == pytest.approx(0.4)
    # The stored PNG is the decoded frame itself.
    with FrameReader(tmp_path / "run.mp4", 25.0) as reader:
        expected = next(iter(reader.frames([26]))).pixels()
    png = live_admin.get(f"/api/v1/images/{images[1]['id']}/file").content
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), expected)
    # Each frame's thumbnail was made from the decoded frame: the grid needs no decode.
    for image in images:
        thumbnail = data_layout.thumbnail(live_settings.data_dir, image["checksum"])
        assert Image.open(thumbnail).size == (64, 48)

    again = extract(live_admin, video["id"], method="uniform", count=4, start_s=0.4)
    assert run_extract_job(again["id"]) == "succeeded"
    report = live_admin.get(f"/api/v1/jobs/{again['id']}").json()["progress"]["report"]
    assert report["already_present"] == 4
    indices = [i["frame_index"] for i in frames_of(live_admin, project_id, video["id"])]
    assert len(indices) == 8 and len(set(indices)) == 8, "new frames, none twice"


@pytest.mark.slow
def test_kmeans_extraction_takes_one_frame_from_each_distinct_scene(
    live_admin: TestClient, project_id: int, tmp_path: Path
) -> None:
    path = write_video(tmp_path / "scenes.mp4", frames=100, width=96, height=64, scenes=5)
    video = upload(live_admin, project_id, path)
    job = extract(live_admin, video["id"], method="kmeans", count=5)
    assert run_extract_job(job["id"]) == "succeeded"
    indices = [i["frame_index"] for i in frames_of(live_admin, project_id, video["id"])]
    assert sorted(i // 20 for i in indices) == [0, 1, 2, 3, 4]


def blobs(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.files_dir.rglob("*") if p.is_file())


def test_a_cancelled_extraction_adds_no_image_and_leaves_no_blob(
    live_admin: TestClient,
    project_id: int,
    tmp_path: Path,
    live_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    video = upload(live_admin, project_id, write_video(tmp_path / "v.mp4", frames=30))
    job = extract(live_admin, video["id"], method="uniform", count=10)
    blobs_before = blobs(live_settings)

    def cancel_after_some(self: job_state.ProgressReporter) -> bool:
        live_admin.post(f"/api/v1/jobs/{self.job_id}/cancel")
        self.flush()
        return self._cancel

    monkeypatch.setattr(job_state.ProgressReporter, "should_stop", cancel_after_some)
    assert run_extract_job(job["id"]) == "cancelled"
    assert live_admin.get(f"/api/v1/jobs/{job['id']}").json()["state"] == "cancelled"
    assert frames_of(live_admin, project_id, video["id"]) == []
    assert blobs(live_settings) == blobs_before


@pytest.mark.slow
def test_the_import_worker_serves_frame_extraction_without_torch() -> None:
    _assert_no_torch_after(
        "from backend.queue import TASK_EXTRACT_FRAMES\n"
        "from worker.import_app import celery_app\n"
        "celery_app.loader.import_default_modules()\n"
        "assert TASK_EXTRACT_FRAMES in celery_app.tasks\n"
        "import sklearn.cluster"
    )


def _active_version(settings: Settings, project_id: int, folder: Path) -> int:
    config = TrainConfig(model=ModelConfig(input_size=64, pretrained="none"))
    model = KeypointModel(config.model, len(NAMES))
    state = {"config": config.to_dict(), "keypoint_names": NAMES, "flip_pairs": []}
    save_checkpoint(folder / "model.pt", {**state, "model": model.state_dict()})
    with session_scope(settings.database_url) as session:
        version = ModelVersion(
            project_id=project_id, backbone="efficientnet_lite0", config={}, metrics={},
            labeled_count=1, unlabeled_count=0, labels_snapshot={}, path=str(folder),
            is_active=True,
        )  # fmt: skip
        session.add(version)
        session.flush()
        return version.id


@pytest.mark.slow
def test_uncertain_extraction_picks_frames_with_the_model(
    live_admin: TestClient, project_id: int, tmp_path: Path, live_settings: Settings
) -> None:
    version_id = _active_version(live_settings, project_id, tmp_path / "version")
    video = upload(live_admin, project_id, write_video(tmp_path / "v.mp4", frames=40))
    job = extract(live_admin, video["id"], method="uncertain", count=3)
    assert job["options"]["model_version_id"] == version_id
    assert run_extract_job(job["id"], make_picker=uncertain_picker) == "succeeded"
    report = live_admin.get(f"/api/v1/jobs/{job['id']}").json()["progress"]["report"]
    assert report["method"] == "uncertain" and report["created"] == 3


@pytest.mark.slow
def test_a_predicted_video_reads_back_in_deeplabcut_and_sleap_and_plays(
    live_admin: TestClient, project_id: int, tmp_path: Path, live_settings: Settings
) -> None:
    import sleap_io as sio  # type: ignore[import-untyped]

    version_id = _active_version(live_settings, project_id, tmp_path / "version")
    path = shared_video("small_robot_3_frame.mp4")
    video = upload(live_admin, project_id, path)
    r = live_admin.post(f"/api/v1/videos/{video['id']}/predictions", json={"every_nth": 1})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "predict_video"
    pending = live_admin.get(f"/api/v1/jobs/{job['id']}/video-results/csv")
    assert pending.status_code == 409
    assert run_predict_video_job(job["id"]) == "succeeded"

    def download(fmt: str) -> Path:
        r = live_admin.get(f"/api/v1/jobs/{job['id']}/video-results/{fmt}")
        assert r.status_code == 200, r.text
        out = tmp_path / f"out.{fmt}"
        out.write_bytes(r.content)
        return out

    table = pd.read_csv(download("csv"), header=[0, 1, 2], index_col=0)
    assert table.columns.names == ["scorer", "bodyparts", "coords"]
    assert list(table.columns.get_level_values(1).unique()) == NAMES
    assert list(table.columns.get_level_values(2)[:3]) == ["x", "y", "likelihood"]
    assert list(table.index) == [0, 1, 2]
    assert table.columns[0][0] == f"Keyloop_v{version_id}"
    hdf = pd.read_hdf(download("h5"), "df_with_missing")
    assert isinstance(hdf, pd.DataFrame)
    assert np.allclose(hdf.to_numpy(), table.to_numpy())

    labels = sio.load_slp(str(download("slp")), open_videos=False)
    assert [n.name for n in labels.skeleton.nodes] == NAMES
    assert labels.videos[0].filename == "small_robot_3_frame.mp4"
    assert [f.frame_idx for f in labels.labeled_frames] == [0, 1, 2]
    instance = labels.labeled_frames[1].instances[0]
    assert isinstance(instance, sio.PredictedInstance)
    xy = instance.numpy()
    assert np.allclose(xy[:, 0], table.iloc[1].xs("x", level=2).to_numpy(), atol=1e-3)

    document = json.loads(download("json").read_text())
    assert [f["frame_index"] for f in document["frames"]] == [0, 1, 2]
    preview = probe(download("mp4"), "preview.mp4")
    assert (preview.frame_count, preview.width % 2, preview.height % 2) == (3, 0, 0)
    assert preview.codec == "h264"
