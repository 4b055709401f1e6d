"""Interactive predict: the API's onnxruntime path equals the worker's eager PyTorch path,
and the endpoint answers bad input with clear 4xx errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from backend.calibration import Calibration
from backend.models import ModelVersion
from backend.services.onnx_predict import ONNX_FILE, OnnxPredictor
from tests.backend.conftest import png_bytes
from worker.ml.config import ModelConfig
from worker.ml.data import KeypointSchema
from worker.ml.export import export_onnx
from worker.ml.model import KeypointModel
from worker.ml.predict import Predictor

pytestmark = pytest.mark.slow  # each test trains a small model and exports it to ONNX

NAMES = ["nose", "left_eye", "right_eye", "tail"]  # the conftest project's schema


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KeypointModel]:
    """A random network whose heatmaps have clear peaks (scaled head), exported once."""
    torch.manual_seed(0)
    model = KeypointModel(ModelConfig(input_size=64, pretrained="none"), len(NAMES)).eval()
    final = model.heatmap_head[-1]
    assert isinstance(final, torch.nn.Conv2d)
    torch.nn.init.normal_(final.weight, std=0.3)
    folder = tmp_path_factory.mktemp("version")
    export_onnx(model, folder / ONNX_FILE, NAMES)
    return folder, model


def photo(seed: int = 0, width: int = 150, height: int = 90) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 10, width // 10, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC))


def test_onnx_prediction_equals_eager_pytorch(exported: tuple[Path, KeypointModel]) -> None:
    folder, model = exported
    eager = Predictor(model, KeypointSchema(NAMES), torch.device("cpu"))
    onnx = OnnxPredictor(folder / ONNX_FILE, threads=1)
    assert onnx.keypoint_names == NAMES
    for seed, roi in ((0, None), (1, (20.0, 10.0, 100.0, 60.0))):
        image = photo(seed)
        expected = eager.predict([image], [roi])[0]
        xy, confidence = onnx.predict(image, roi)
        assert np.abs(xy - expected.xy).max() < 1e-2  # pixels
        assert np.abs(confidence - expected.confidence).max() < 1e-4


def _version(
    db: Session, project_id: int, path: Path | str, metrics: dict[str, Any] | None = None
) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id, backbone="efficientnet_lite0", config={}, metrics=metrics or {},
        labeled_count=1, unlabeled_count=0, labels_snapshot={}, path=str(path), is_active=True,
    )  # fmt: skip
    db.add(version)
    db.commit()
    return version


def _post(client: TestClient, url: str, data: bytes, **form: str) -> Any:
    return client.post(url, files={"file": ("a.png", data, "image/png")}, data=form)


def test_predict_endpoint_returns_keypoints_in_image_pixels(
    admin: TestClient, project: dict[str, Any], db: Session, exported: tuple[Path, KeypointModel]
) -> None:
    # The version's calibration (fitted by the worker on validation images): 0.1 + 0.3 * peak.
    curve = Calibration(peaks=(0.0, 2.0), probabilities=(0.1, 0.7), samples=50, alpha=0.1)
    version = _version(db, project["id"], exported[0], {"calibration": curve.to_dict()})
    buf = io.BytesIO()
    Image.fromarray(photo()).save(buf, "PNG")
    r = _post(admin, f"/api/v1/model-versions/{version.id}/predict", buf.getvalue())
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == (150, 90)
    assert [k["name"] for k in body["keypoints"]] == NAMES
    xy, confidence = OnnxPredictor(exported[0] / ONNX_FILE, threads=1).predict(photo())
    assert np.allclose([[k["x"], k["y"]] for k in body["keypoints"]], xy, atol=1e-3)
    calibrated = [0.1 + 0.3 * min(2.0, max(0.0, c)) for c in confidence]
    assert np.allclose([k["confidence"] for k in body["keypoints"]], calibrated, atol=1e-5)
    assert body["score"] == pytest.approx(float(np.mean(calibrated)), abs=1e-5)
    by_project = _post(admin, f"/api/v1/projects/{project['id']}/predict", buf.getvalue())
    assert by_project.status_code == 200 and by_project.json()["keypoints"] == body["keypoints"]


def test_predict_endpoint_rejects_bad_input_clearly(
    admin: TestClient, project: dict[str, Any], db: Session, exported: tuple[Path, KeypointModel]
) -> None:
    version = _version(db, project["id"], exported[0])
    url = f"/api/v1/model-versions/{version.id}/predict"
    not_image = _post(admin, url, b"this is not an image")
    assert not_image.status_code == 415 and "not a recognised image" in not_image.json()["detail"]
    assert _post(admin, "/api/v1/model-versions/999999/predict", png_bytes()).status_code == 404
    bad_roi = _post(admin, url, png_bytes(), roi="1,2,3")
    assert bad_roi.status_code == 422 and "roi" in bad_roi.json()["detail"]
    outside = _post(admin, url, png_bytes(), roi="500,500,10,10")
    assert outside.status_code == 422
    without_export = _version(db, project["id"], "/nonexistent")
    r = _post(admin, f"/api/v1/model-versions/{without_export.id}/predict", png_bytes())
    assert r.status_code == 409 and "ONNX" in r.json()["detail"]


def test_predict_endpoint_is_429_when_every_slot_is_busy(
    admin: TestClient, project: dict[str, Any], db: Session, exported: tuple[Path, KeypointModel]
) -> None:
    from backend.config import get_settings
    from backend.services.onnx_predict import compute_slot

    version = _version(db, project["id"], exported[0])
    settings = get_settings()
    held = [compute_slot(settings) for _ in range(settings.predict_concurrency)]
    for slot in held:
        slot.__enter__()
    original = settings.predict_wait_s
    settings.predict_wait_s = 0.01
    try:
        r = _post(admin, f"/api/v1/model-versions/{version.id}/predict", png_bytes())
        assert r.status_code == 429 and r.json()["code"] == "too_many_requests"
    finally:
        settings.predict_wait_s = original
        for slot in held:
            slot.__exit__()
