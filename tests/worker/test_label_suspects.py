"""Suspect labels with a real model: the keypoint classifier's reading at a label, scoring after
a retraining and on demand, run in-process as the worker runs them, against an API on the same
database (`live_admin`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from backend.app import create_app
from backend.config import Settings
from backend.db.session import session_scope
from backend.models import Job, JobKind, JobState, LabelSuspect, Role
from backend.schemas.job_options import ScoreLabelsOptions
from backend.services.users import create_user
from imaging.geometry import Letterbox
from tests.backend.conftest import PASSWORD
from worker import job_state
from worker.jobs.score_labels import run_score_job
from worker.label_suspects import LabeledImage, _fill, human_xy, normaliser
from worker.ml.config import ModelConfig
from worker.ml.label_readout import Readout, read_labels
from worker.ml.model import KeypointModel
from worker.ml.predict import predict_input
from worker.training_run import run_training_job

TINY = {"backbone": "efficientnet_lite0", "input_size": 64, "max_steps": 8, "batch_size": 4}


def _tiny_model() -> KeypointModel:
    torch.manual_seed(0)
    return KeypointModel(ModelConfig(input_size=64, pretrained="none"), 3)


def test_a_label_on_another_keypoints_spot_reads_as_that_keypoint() -> None:
    model = _tiny_model()
    images = torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8)
    labels = torch.tensor([[[10.0, 12.0], [40.0, 30.0], [40.0, 30.0]]] * 2)
    labeled = torch.tensor([[True, True, True], [True, False, True]])
    out = read_labels(model, images, labels, labeled, 2.0, torch.device("cpu"))
    # z depends on where the label is, not on which keypoint it claims to be.
    np.testing.assert_allclose(out.label_probs[0, 2], out.label_probs[0, 1], atol=1e-6)
    assert not np.allclose(out.label_probs[0, 0], out.label_probs[0, 1])
    np.testing.assert_allclose(out.label_probs[0].sum(axis=1), 1.0, atol=1e-5)
    assert np.isnan(out.label_probs[1, 1]).all(), "an unlabeled keypoint has no reading"
    xy, peak, _ = predict_input(model, images, torch.device("cpu"))
    np.testing.assert_allclose(out.xy_input, xy.double().numpy(), atol=1e-4)
    np.testing.assert_allclose(out.peak, peak.double().numpy(), atol=1e-5)


def test_a_label_off_the_network_input_has_no_classifier_reading() -> None:
    model = _tiny_model()
    images = torch.zeros((1, 3, 64, 64), dtype=torch.uint8)
    labels = torch.tensor([[[10.0, 12.0], [500.0, 30.0], [20.0, 30.0]]])
    out = read_labels(
        model, images, labels, torch.ones(1, 3, dtype=torch.bool), 2.0, torch.device("cpu")
    )
    assert np.isnan(out.label_probs[0, 1]).all() and np.isfinite(out.label_probs[0, 0]).all()


def test_a_reordered_schema_maps_the_models_readings_to_the_projects_keypoints() -> None:
    # The model was trained on [a, b, c]; the project is now [c, new, a] (b deleted).
    probs = np.arange(9, dtype=np.float64).reshape(1, 3, 3)
    readout = Readout(np.array([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]]), np.ones((1, 3)), probs)
    image = LabeledImage(1, Path("x.png"), None, (100, 100), 1, np.full((3, 2), np.nan))
    xy, confidence, out = np.full((1, 3, 2), np.nan), np.zeros((1, 3)), np.full((1, 3, 3), np.nan)
    _fill(
        readout, [Letterbox(0, 0, 1, 1, 0, 0)], [image], [2, None, 0], None, 0, xy, confidence, out
    )
    assert (
        xy[0].tolist()[0] == [3.0, 3.0]
        and np.isnan(xy[0, 1]).all()
        and xy[0, 2].tolist() == [1.0, 1.0]
    )
    assert out[0, 0, 0] == probs[0, 2, 2] and out[0, 0, 2] == probs[0, 2, 0]
    assert (
        out[0, 2, 0] == probs[0, 0, 2]
        and np.isnan(out[0, 1]).all()
        and np.isnan(out[0, :, 1]).all()
    )
    assert (confidence == 0).all(), "no calibration curve: no confidence to weigh by"


def test_only_points_a_human_placed_are_scored() -> None:
    points: list[dict[str, Any]] = [
        {"x": 1, "y": 2, "visibility": "visible", "source": "human"},
        {"x": 3, "y": 4, "visibility": "occluded"},
        {"x": 5, "y": 6, "visibility": "visible", "source": "prediction"},
        {"x": None, "y": None, "visibility": "unlabeled"},
    ]
    xy = human_xy(points, 4)
    assert xy[:2].tolist() == [[1.0, 2.0], [3.0, 4.0]] and np.isnan(xy[2:]).all()


def test_the_normaliser_is_the_roi_else_the_labels_extent_else_the_image() -> None:
    xy = np.array([[10.0, 10.0], [40.0, 30.0], [np.nan, np.nan]])
    assert normaliser(xy, (0, 0, 50, 80), (100, 100)) == 80
    assert normaliser(xy, None, (100, 100)) == 30
    assert normaliser(xy[:1], None, (100, 60)) == 100


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


SCHEMA = {
    "keypoints": [{"name": "head"}, {"name": "tail"}],
    "skeleton": [["head", "tail"]],
}


def _png(seed: int) -> tuple[bytes, list[tuple[float, float]]]:
    """Noise with a red head and a blue tail blob: a task a tiny model can start to learn."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 60, (96, 96, 3), dtype=np.uint8)
    points = [(float(rng.uniform(15, 50)), float(rng.uniform(15, 80))) for _ in range(2)]
    points[1] = (points[0][0] + 30, points[0][1])  # tail 30 px right of the head
    yy, xx = np.mgrid[0:96, 0:96]
    for (x, y), channel in zip(points, (0, 2), strict=True):
        blob = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 3.0**2))
        pixels[..., channel] = np.maximum(pixels[..., channel], (255 * blob).astype(np.uint8))
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue(), points


def _project_with_a_planted_error(client: TestClient) -> tuple[int, int]:
    """12 labeled images; image 3's tail lies 60 px outside its region of interest."""
    r = client.post("/api/v1/projects", json={"name": "blobs", "keypoint_schema": SCHEMA})
    pid = r.json()["id"]
    images = [_png(i) for i in range(14)]
    files = [("files", (f"img{i}.png", data, "image/png")) for i, (data, _) in enumerate(images)]
    created = client.post(f"/api/v1/projects/{pid}/images", files=files).json()["created"]
    ids = [c["id"] for c in created]
    for image_id, (_, points) in list(zip(ids, images, strict=True))[:12]:
        keypoints = [
            {"name": n, "x": x, "y": y, "visibility": "visible"}
            for n, (x, y) in zip(["head", "tail"], points, strict=True)
        ]
        body = {"version": 0, "keypoints": keypoints}
        assert client.put(f"/api/v1/images/{image_id}/annotation", json=body).status_code == 200
    head = images[3][1][0]
    roi = [head[0] - 10, head[1] - 10, 20, 20]
    assert client.patch(f"/api/v1/images/{ids[3]}", json={"roi": roi}).status_code == 200
    return pid, ids[3]


def _suspects(settings: Settings, project_id: int) -> list[LabelSuspect]:
    with session_scope(settings.database_url) as s:
        rows = s.scalars(select(LabelSuspect).where(LabelSuspect.project_id == project_id)).all()
        s.expunge_all()
        return list(rows)


@pytest.mark.slow
def test_a_retraining_scores_the_labels_and_a_scan_scores_them_again(
    live_admin: TestClient, live_settings: Settings
) -> None:
    pid, planted = _project_with_a_planted_error(live_admin)
    job = live_admin.post(f"/api/v1/projects/{pid}/training-jobs", json=TINY).json()
    assert run_training_job(job["id"]) == "succeeded"
    done = live_admin.get(f"/api/v1/jobs/{job['id']}").json()
    version_id = done["progress"]["model_version_id"]
    rows = _suspects(live_settings, pid)
    assert done["progress"]["suspects"] == len(rows) >= 1
    tail = [r for r in rows if (r.image_id, r.keypoint) == (planted, "tail")]
    assert len(tail) == 1 and tail[0].model_version_id == version_id
    assert "outside_roi" in [reason["kind"] for reason in tail[0].reasons]
    assert all(0 <= r.score <= 1 and r.reasons for r in rows)
    listed = live_admin.get(f"/api/v1/projects/{pid}/suspects").json()
    assert (planted, "tail") in [(s["image_id"], s["keypoint"]) for s in listed["items"]]

    scan = live_admin.post(f"/api/v1/projects/{pid}/suspects/scan")
    assert scan.status_code == 202, scan.text
    claimed = job_state.claim(scan.json()["id"], ScoreLabelsOptions)
    assert claimed is not None
    assert run_score_job(claimed) == "succeeded"
    again = _suspects(live_settings, pid)
    assert {(r.image_id, r.keypoint) for r in again} == {(r.image_id, r.keypoint) for r in rows}
    assert len(again) == len(rows), "the old rows were replaced, not added to"
    progress = live_admin.get(f"/api/v1/jobs/{scan.json()['id']}").json()["progress"]
    assert progress["suspects"] == len(again)


def test_a_scan_job_for_a_deleted_version_fails_with_a_reason(live_settings: Settings) -> None:
    with session_scope(live_settings.database_url) as s:
        job = Job(kind=JobKind.score_labels, options={"model_version_id": 999}, progress={})
        s.add(job)
        s.flush()
        job_id = job.id
    claimed = job_state.claim(job_id, ScoreLabelsOptions)
    assert claimed is not None
    assert run_score_job(claimed) == "failed"
    with session_scope(live_settings.database_url) as s:
        failed = s.get(Job, job_id)
        assert failed is not None and failed.state == JobState.failed
        assert "model version 999 no longer exists" in (failed.error or "")


@pytest.mark.slow
def test_a_scoring_failure_never_fails_the_retraining(
    live_admin: TestClient, live_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(version_id: int) -> int:
        raise OSError("disk full")

    monkeypatch.setattr("worker.training_run.score_version_labels", broken)
    pid, _ = _project_with_a_planted_error(live_admin)
    job = live_admin.post(f"/api/v1/projects/{pid}/training-jobs", json=TINY).json()
    assert run_training_job(job["id"]) == "succeeded"
    done = live_admin.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["state"] == "succeeded"
    assert done["progress"]["suspects_error"] == "OSError: disk full"
    assert live_admin.get(f"/api/v1/projects/{pid}/model-versions").json()[0]["is_active"]
