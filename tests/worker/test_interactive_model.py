"""Versions published without `model.onnx` get one from beat's periodic check, once."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from backend.config import Settings
from backend.db.session import session_scope
from backend.errors import Conflict
from backend.models import ModelVersion, Project
from backend.services.onnx_predict import FAILED_MARKER, ONNX_FILE, OnnxPredictor, predictor_for
from worker.interactive_model import export_missing
from worker.ml.checkpoint import save_checkpoint
from worker.ml.config import ModelConfig, TrainConfig
from worker.ml.model import KeypointModel

NAMES = ["nose", "tail"]


def _version(settings: Settings, folder: Path) -> int:
    with session_scope(settings.database_url) as s:
        project = Project(
            name="p", description="", settings={},
            keypoint_schema={"keypoints": [{"name": n} for n in NAMES]},
        )  # fmt: skip
        s.add(project)
        s.flush()
        version = ModelVersion(
            project_id=project.id, backbone="efficientnet_lite0", config={}, metrics={},
            labeled_count=1, unlabeled_count=0, labels_snapshot={}, path=str(folder),
            is_active=True,
        )  # fmt: skip
        s.add(version)
        s.flush()
        return version.id


def _checkpoint(folder: Path) -> None:
    config = TrainConfig(model=ModelConfig(input_size=64, pretrained="none"))
    model = KeypointModel(config.model, len(NAMES))
    save_checkpoint(
        folder / "model.pt",
        {"config": config.to_dict(), "keypoint_names": NAMES, "flip_pairs": [],
         "model": model.state_dict()},
    )  # fmt: skip


@pytest.mark.slow  # a real ONNX export
def test_a_version_without_onnx_gets_one_and_then_serves_interactive_predict(
    worker_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "version-job-1"
    _checkpoint(folder)
    version_id = _version(worker_settings, folder)
    with pytest.raises(Conflict, match="retry in a minute"):
        predictor_for(str(folder), version_id, worker_settings)

    assert export_missing() == [version_id]
    assert export_missing() == []  # done once

    predictor = OnnxPredictor(folder / ONNX_FILE, threads=1)
    assert predictor.keypoint_names == NAMES and predictor.input_size == 64
    assert not list(folder.glob(".*partial*")), "no staging file left behind"


def test_a_failed_export_is_recorded_and_not_retried_every_minute(
    worker_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "version-job-2"
    folder.mkdir()
    (folder / "model.pt").write_bytes(torch.zeros(1).numpy().tobytes())  # not a checkpoint
    version_id = _version(worker_settings, folder)

    assert export_missing() == []
    assert "Error" in (folder / FAILED_MARKER).read_text()
    assert not (folder / ONNX_FILE).exists()
    with pytest.raises(Conflict, match="export failed"):
        predictor_for(str(folder), version_id, worker_settings)
    (folder / FAILED_MARKER).unlink()
    assert export_missing() == []  # tried again once the marker is gone
    assert (folder / FAILED_MARKER).is_file()
