"""The CUDA path: mixed precision (autocast + GradScaler) training and inference. Skipped
where no GPU is present (CI, most laptops); on a GPU machine run
`pytest tests/worker/ml/test_cuda.py` after installing the `ml` extra."""

from pathlib import Path

import numpy as np
import pytest
import torch

from worker.ml.checkpoint import load_checkpoint
from worker.ml.data import KeypointSchema
from worker.ml.predict import Predictor
from worker.ml.train import Progress, train

from .test_train import Dots, tiny

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_semi_supervised_training_with_amp_learns_and_its_checkpoint_serves_on_cpu(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, validation = dots
    config = tiny(
        batch_size=8, max_steps=40, eval_interval=20, patience=100, device="cuda", amp=True
    )
    seen: list[Progress] = []
    result = train(
        config, schema, labeled, unlabeled, validation, checkpoint_dir=tmp_path,
        on_progress=seen.append,
    )  # fmt: skip

    assert result.status == "completed"
    assert all(np.isfinite(v) for p in seen for v in p.losses.values())
    assert result.best_val_pck is not None and result.best_val_pck >= 0.9
    payload = load_checkpoint(result.best_checkpoint, "cpu")
    assert all(t.dtype == torch.float32 for t in payload["model"].values() if t.is_floating_point())

    images = [s.image for s in validation]
    on_gpu = Predictor.from_checkpoint(result.best_checkpoint, device="cuda").predict(images)
    on_cpu = Predictor.from_checkpoint(result.best_checkpoint).predict(images)
    for gpu, cpu in zip(on_gpu, on_cpu, strict=True):
        # fp16 autocast on the GPU vs fp32 on the CPU: the same keypoints within a pixel.
        assert np.abs(gpu.xy - cpu.xy).max() < 1.0


def test_a_cancelled_cuda_run_resumes_with_its_gradient_scaler(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    config = tiny(max_steps=4, eval_interval=100, device="cuda", amp=True)
    calls = iter([False, False, True])
    cancelled = train(
        config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path,
        should_stop=lambda: next(calls, True),
    )  # fmt: skip
    assert (cancelled.status, cancelled.step) == ("cancelled", 2)
    scale = load_checkpoint(cancelled.last_checkpoint, "cpu")["scaler"]["scale"]
    assert scale > 0, "the AMP loss scale is saved with the optimizer"

    resumed = train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path, resume=True)
    assert (resumed.status, resumed.step) == ("completed", 4)
