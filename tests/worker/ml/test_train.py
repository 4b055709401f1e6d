from pathlib import Path

import numpy as np
import pytest
import torch

from worker.ml.checkpoint import load_checkpoint
from worker.ml.config import LossConfig, ModelConfig, TrainConfig
from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample
from worker.ml.metrics import pck
from worker.ml.predict import Predictor
from worker.ml.train import Progress, train

Dots = tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]]


def tiny(**overrides: object) -> TrainConfig:
    fields: dict[str, object] = {
        "model": ModelConfig(input_size=64),
        "batch_size": 4,
        "max_steps": 3,
        "lr": 1e-3,
        "eval_interval": 2,
    }
    fields.update(overrides)
    return TrainConfig(**fields)  # type: ignore[arg-type]


@pytest.mark.slow
def test_semi_supervised_model_learns_the_dots_task(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, validation = dots
    config = tiny(batch_size=8, max_steps=40, eval_interval=20, patience=100)
    seen: list[Progress] = []
    result = train(
        config, schema, labeled, unlabeled, validation, checkpoint_dir=tmp_path,
        on_progress=seen.append,
    )  # fmt: skip
    assert result.status == "completed"
    assert set(seen[-1].losses) == {"supervised", "sc", "te", "ti", "total"}
    assert result.best_val_pck is not None and result.best_val_pck >= 0.9

    predictions = Predictor.from_checkpoint(result.best_checkpoint).predict(
        [s.image for s in validation]
    )
    score = pck(
        np.stack([p.xy for p in predictions]),
        np.stack([s.keypoints_xy for s in validation]),
        np.ones((len(validation), 3), dtype=bool),
        np.array([s.normalizer() for s in validation]),
    )
    assert score.pck == pytest.approx(result.best_val_pck)  # image pixels, same as training eval


@pytest.mark.slow
def test_checkpoint_describes_itself(schema: KeypointSchema, dots: Dots, tmp_path: Path) -> None:
    labeled, unlabeled, validation = dots
    result = train(tiny(), schema, labeled, unlabeled, validation, checkpoint_dir=tmp_path)
    payload = load_checkpoint(result.last_checkpoint)
    assert payload["step"] == 3
    assert payload["keypoint_names"] == schema.names
    assert TrainConfig.from_dict(payload["config"]) == tiny()
    assert payload["metrics"]["step"] == 3 and "val_pck" in payload["metrics"]
    assert not list(tmp_path.glob("*.tmp"))  # atomic writes leave no temporaries


def test_the_best_checkpoint_holds_the_model_and_only_the_last_holds_the_training_state(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, validation = dots
    result = train(tiny(), schema, labeled, unlabeled, validation, checkpoint_dir=tmp_path)
    best, last = load_checkpoint(result.best_checkpoint), load_checkpoint(result.last_checkpoint)
    training_state = {"optimizer", "scaler", "generator", "labeled_order", "pool_order", "stale"}
    assert training_state <= last.keys()
    assert not training_state & best.keys()  # best.pt is published as a model version
    assert best["keypoint_names"] == schema.names and best["config"] == last["config"]
    assert result.best_checkpoint.stat().st_size < result.last_checkpoint.stat().st_size / 2


@pytest.mark.slow  # several training runs, or an ONNX export
def test_resume_continues_where_a_cancelled_run_stopped(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    config = tiny(max_steps=4, eval_interval=100)
    straight = train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path / "a")

    calls = iter([False, False, True])
    cancelled = train(
        config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path / "b",
        should_stop=lambda: next(calls, True),
    )  # fmt: skip
    assert (cancelled.status, cancelled.step) == ("cancelled", 2)
    resumed = train(
        config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path / "b", resume=True
    )
    assert (resumed.status, resumed.step) == ("completed", 4)

    expected = load_checkpoint(straight.last_checkpoint)["model"]
    actual = load_checkpoint(resumed.last_checkpoint)["model"]
    for name, tensor in expected.items():
        assert torch.allclose(tensor.float(), actual[name].float(), atol=1e-5), name


class Killed(Exception):
    """Stands for `kill -9` of the process mid-run: nothing after it runs."""


@pytest.mark.slow  # several training runs, or an ONNX export
def test_a_run_killed_mid_way_resumes_from_its_last_interval_checkpoint(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    """`last.pt` is written every `eval_interval` steps, not only at the end, so a job whose
    worker died is resumed (worker/job_state.py) rather than started over."""
    labeled, unlabeled, _ = dots
    config = tiny(max_steps=5, eval_interval=2)

    def die_at_step_3(p: Progress) -> None:
        if p.step == 3:
            raise Killed

    with pytest.raises(Killed):
        train(
            config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path,
            on_progress=die_at_step_3,
        )  # fmt: skip
    assert load_checkpoint(tmp_path / "last.pt")["step"] == 2
    seen: list[Progress] = []
    resumed = train(
        config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path, resume=True,
        on_progress=seen.append,
    )  # fmt: skip
    assert (resumed.status, resumed.step) == ("completed", 5)
    assert [p.step for p in seen] == [3, 4, 5]


@pytest.mark.slow
def test_supervised_only_needs_no_unlabeled_images_and_runs_only_its_loss(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, _, validation = dots
    seen: list[Progress] = []
    config = tiny(loss=LossConfig.supervised_only(), max_steps=2)
    train(config, schema, labeled, [], validation, checkpoint_dir=tmp_path, on_progress=seen.append)
    assert set(seen[-1].losses) == {"supervised", "total"}
    with pytest.raises(ValueError, match="unlabeled"):
        train(tiny(), schema, labeled, [], validation, checkpoint_dir=tmp_path)


@pytest.mark.slow  # trains until patience runs out
def test_early_stopping_after_patience_evaluations_without_improvement(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, validation = dots
    config = tiny(max_steps=50, eval_interval=1, patience=2, lr=1e-12)  # cannot improve
    result = train(config, schema, labeled, unlabeled, validation, checkpoint_dir=tmp_path)
    assert result.status == "early_stopped"
    assert result.step == 3


@pytest.mark.slow
def test_predictor_returns_image_pixels_confidences_and_z_for_rois(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    result = train(tiny(max_steps=1), schema, labeled, unlabeled, [], checkpoint_dir=tmp_path)
    predictor = Predictor.from_checkpoint(result.best_checkpoint)
    roi = (20.0, 10.0, 60.0, 50.0)
    out = predictor.predict([labeled[0].image, labeled[1].image], [None, roi], return_z=True)
    assert out[0].xy.shape == (3, 2) and out[0].confidence.shape == (3,)
    assert out[0].z is not None and out[0].z.shape == (3, 64)
    inside = (out[1].xy >= [20 - 1, 10 - 1]) & (out[1].xy <= [80 + 1, 60 + 1])
    assert inside.all()  # an ROI prediction lands inside the ROI, in original pixels


@pytest.mark.slow  # several training runs, or an ONNX export
def test_resume_refuses_a_checkpoint_from_a_different_config(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    train(tiny(max_steps=1), schema, labeled, unlabeled, [], checkpoint_dir=tmp_path)
    longer = tiny(max_steps=2)  # a bigger budget is fine
    assert (
        train(longer, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path, resume=True).step
        == 2
    )
    with pytest.raises(ValueError, match="different config"):
        train(tiny(max_steps=3, seed=5), schema, labeled, unlabeled, [], checkpoint_dir=tmp_path,
              resume=True)  # fmt: skip


@pytest.mark.slow  # several training runs, or an ONNX export
def test_onnx_runtime_predictions_equal_the_eager_model(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime is an optional inference back end")
    labeled, unlabeled, _ = dots
    result = train(tiny(max_steps=1), schema, labeled, unlabeled, [], checkpoint_dir=tmp_path)
    images = [s.image for s in labeled[:3]]
    eager = Predictor.from_checkpoint(result.best_checkpoint).predict(images, return_z=True)
    onnx = Predictor.from_checkpoint(result.best_checkpoint, onnx_path=tmp_path / "m.onnx")
    exported = onnx.predict(images, return_z=True)
    for a, b in zip(eager, exported, strict=True):
        assert np.abs(a.xy - b.xy).max() < 1e-3
        assert np.abs(a.confidence - b.confidence).max() < 1e-4
        assert a.z is not None and b.z is not None and np.abs(a.z - b.z).max() < 1e-4
