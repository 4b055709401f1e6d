"""Fit the keypoint classifier (KCN, §3.1) to a network's representations at the labels.

When SC does not shape z (it trains the classifier only, `LossConfig.sc_scope ==
"classifier"`, the CPU default; or it is off), the KCN is a readout: no gradient goes from it
to the localization weights. Trained step by step beside a z that keeps moving, it ended near
chance (it named 45 % of the tiger test labels right, docs/MODEL.md), and two things read it:
active learning's `semantic` signal and the label-suspect signal `classified_as_other`. Fit
once to the network as it is saved, on the labeled images' z at their labels (computed as §4.2
computes z for labeled images), a multinomial logistic regression reads far more of them.

The fit is deterministic (L-BFGS from zeros on the CPU, in float64; no random numbers drawn), so
fitting at a save changes nothing else in a run. The L2 penalty is ||W||^2 / 2 against the
summed cross-entropy (scikit-learn's default C = 1), which keeps 64-d z fit on a few dozen
labels from overfitting.
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf

from worker.ml.data import PreparedLabeled
from worker.ml.label_readout import represent_labels
from worker.ml.model import KeypointModel

MAX_IMAGES = 128  # bounds the forward passes per save; more labels add little to 64 x K weights


@torch.no_grad()
def labeled_representations(
    model: KeypointModel, labeled: PreparedLabeled, sigma: float, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """z (M, C) at up to MAX_IMAGES images' labels (evenly spaced) and their keypoints (M,)."""
    was_training = model.training
    model.eval()
    count = len(labeled.images)
    chosen = torch.linspace(0, count - 1, min(count, MAX_IMAGES)).round().long()
    zs, keypoints = [], []
    for start in range(0, len(chosen), 16):
        part = chosen[start : start + 16]
        images = labeled.images[part].to(device).float() / 255
        _, features = model.localize(images)
        z, _, readable = represent_labels(
            model, features, labeled.xy_input[part].to(device),
            labeled.supervised[part].to(device), sigma,
        )  # fmt: skip
        ids = torch.arange(z.shape[1], device=device).expand(len(part), -1)
        zs.append(z[readable].double().cpu())
        keypoints.append(ids[readable].cpu())
    model.train(was_training)
    return torch.cat(zs), torch.cat(keypoints)


def fit_classifier(
    model: KeypointModel, labeled: PreparedLabeled, sigma: float, device: torch.device
) -> float | None:
    """Replace the KCN's weights by the logistic regression of keypoint on z; returns its
    accuracy on the labels it was fit to, or None (KCN unchanged) without two keypoints."""
    z, keypoints = labeled_representations(model, labeled, sigma, device)
    if len(set(keypoints.tolist())) < 2:
        return None
    num_k = model.num_keypoints
    weight = torch.zeros(z.shape[1], num_k, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_k, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1.0, max_iter=200, line_search_fn="strong_wolfe"
    )  # fmt: skip

    def objective() -> torch.Tensor:
        optimizer.zero_grad()
        logits = z @ weight + bias
        loss = nnf.cross_entropy(logits, keypoints, reduction="sum") + 0.5 * weight.square().sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(objective)  # type: ignore[no-untyped-call]
    with torch.no_grad():
        model.kcn.weight.copy_(weight.detach().T.to(model.kcn.weight))
        model.kcn.bias.copy_(bias.detach().to(model.kcn.bias))
        accuracy = ((z @ weight + bias).argmax(dim=1) == keypoints).double().mean()
    return float(accuracy)
