"""A readout keypoint classifier is fit to the network's z at the labels, and nothing else moves."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from worker.ml.checkpoint import load_checkpoint
from worker.ml.classifier_fit import fit_classifier, labeled_representations
from worker.ml.config import LossConfig, ModelConfig, SCScope, TrainConfig
from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample, prepare_labeled
from worker.ml.model import KeypointModel
from worker.ml.train import train

Dots = tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]]
CPU = torch.device("cpu")
SIGMA = 1.5


def model_and_labels(dots: Dots) -> tuple[KeypointModel, object]:
    torch.manual_seed(0)
    model = KeypointModel(ModelConfig(input_size=64, pretrained="none"), 3)
    return model, prepare_labeled(dots[0], 64, "supervise")


def kcn_accuracy(model: KeypointModel, labeled: object) -> float:
    z, keypoints = labeled_representations(model, labeled, SIGMA, CPU)  # type: ignore[arg-type]
    with torch.no_grad():
        named = model.kcn(z.float()).argmax(dim=1)
    return float((named == keypoints).double().mean())


def test_the_fit_reads_the_labels_better_than_the_untrained_classifier(dots: Dots) -> None:
    model, labeled = model_and_labels(dots)
    before = kcn_accuracy(model, labeled)
    fit = fit_classifier(model, labeled, SIGMA, CPU)  # type: ignore[arg-type]
    assert fit is not None and fit > before + 0.3
    assert kcn_accuracy(model, labeled) == pytest.approx(fit)


def test_only_the_classifier_changes_and_no_random_numbers_are_drawn(dots: Dots) -> None:
    model, labeled = model_and_labels(dots)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    rng = torch.random.get_rng_state()
    model.train()
    fit_classifier(model, labeled, SIGMA, CPU)  # type: ignore[arg-type]
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert model.training  # restored after the eval-mode forward
    changed = {n for n, t in model.state_dict().items() if not torch.equal(t, before[n])}
    assert changed == {"kcn.weight", "kcn.bias"}


def test_the_fit_depends_on_the_network_alone_not_on_the_classifiers_old_weights(
    dots: Dots,
) -> None:
    model, labeled = model_and_labels(dots)
    fit_classifier(model, labeled, SIGMA, CPU)  # type: ignore[arg-type]
    first = model.kcn.weight.clone()
    torch.nn.init.normal_(model.kcn.weight)
    fit_classifier(model, labeled, SIGMA, CPU)  # type: ignore[arg-type]
    assert torch.equal(model.kcn.weight, first)


@pytest.mark.parametrize(
    ("loss", "readout"),
    [
        (LossConfig(sc_scope="classifier"), True),
        (LossConfig(use_sc=False), True),
        (LossConfig.supervised_only(matched=True), True),
        (LossConfig(sc_scope="network"), False),
    ],
)
def test_the_classifier_is_a_readout_unless_the_papers_sc_trains_it_with_z(
    loss: LossConfig, readout: bool
) -> None:
    assert loss.classifier_is_readout is readout


@pytest.mark.slow  # trains twice
@pytest.mark.parametrize("scope", ["classifier", "network"])
def test_a_saved_readout_classifier_is_the_fit_of_the_saved_network(
    scope: SCScope, schema: KeypointSchema, dots: Dots, tmp_path: Path
) -> None:
    labeled, unlabeled, _ = dots
    config = TrainConfig(
        model=ModelConfig(input_size=64, pretrained="none"), loss=LossConfig(sc_scope=scope),
        batch_size=4, max_steps=2, lr=1e-2, eval_interval=10, sigma=SIGMA,
    )  # fmt: skip
    result = train(config, schema, labeled, unlabeled, [], checkpoint_dir=tmp_path)
    saved = load_checkpoint(result.last_checkpoint)["model"]
    model = KeypointModel(config.model, 3)
    model.load_state_dict(saved)
    fit_classifier(model, prepare_labeled(labeled, 64, "supervise"), SIGMA, CPU)
    assert torch.equal(model.kcn.weight, saved["kcn.weight"]) is (scope == "classifier")
