"""bench/al_picks.py: the worker's active-learning scoring, read off a trained checkpoint."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from worker.ml.config import LossConfig, ModelConfig, TrainConfig
from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample
from worker.ml.train import train
from worker.ml.uncertainty import SIGNALS

ROOT = Path(__file__).resolve().parents[3]
Dots = tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]]


def load_al_picks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("al_picks", ROOT / "bench" / "al_picks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_annotator_moves_a_keypoint_only_beyond_five_percent_of_the_normaliser(
    dots: Dots,
) -> None:
    sample = dots[0][0]  # bbox 128 x 96: l = 128, so the cut is 6.4 px
    shift = np.zeros_like(sample.keypoints_xy)
    shift[0, 0], shift[1, 0] = 6.0, 7.0  # red just inside, green just beyond, blue exact
    error, moves = load_al_picks().image_errors([sample], [sample.keypoints_xy + shift])
    assert moves.tolist() == [1]
    assert error[0] == pytest.approx((6.0 + 7.0) / 3 / 128)


def test_a_constant_signal_orders_nothing() -> None:
    assert load_al_picks().rho(np.full(5, 0.3), np.arange(5.0)) == 0.0


def test_reads_the_pick_quality_and_the_classifiers_accuracy_off_a_checkpoint(
    schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, hidden = dots
    config = TrainConfig(
        model=ModelConfig(input_size=64), loss=LossConfig(sc_scope="classifier"),
        batch_size=4, max_steps=2, eval_interval=100,
    )  # fmt: skip
    result = train(config, schema, labeled[:4], unlabeled, [], checkpoint_dir=tmp_path)
    row = load_al_picks().measure_checkpoint(result.last_checkpoint, labeled[:4], hidden, 3)
    assert row["variant"] == "semi sc_scope=classifier"
    assert (row["pool"], row["batch"]) == (len(hidden), 3)
    assert set(row["rho"]) == set(SIGNALS) and -1 <= row["rho_score"] <= 1
    assert 0 <= row["picks_moves"] <= 3 and 0 <= row["pool_moves"] <= 3
    assert 0 <= row["kcn_accuracy"] <= 1
