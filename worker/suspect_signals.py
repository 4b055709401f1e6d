"""How likely each human keypoint label is wrong, from five signals (issue 17), as pure numpy.

Every signal gives an *evidence* e in [0, 1] per (image, keypoint), read as "the probability
this signal alone gives that the label is wrong"; they are built from scale-free quantities
only (distances over the animal's size l, the model's calibrated confidence, probabilities,
robust z-scores), so nothing here is tuned to one species or image size:

- `far_from_prediction`: c · ramp(d / l; alpha/2 → 3alpha/2), with d the label-to-prediction
  distance, l the image's normaliser (ROI, else the labels' extent) and c the calibrated
  confidence, which *is* the probability that the prediction lies within alpha·l of the truth
  (PCK@alpha on the version's validation images, `backend/calibration.py`). A label more
  than alpha·l from a prediction that is right with probability c is itself wrong with about
  that probability.
- `classified_as_other`: a · max(0, p_j - p_k) where p is the keypoint classifier's
  distribution for z sampled at the label of keypoint k (`worker/ml/label_readout.py`), j the
  most probable other keypoint (the spot looks like keypoint j more than like k) and a the
  share of all the project's labels the classifier reads as their own keypoint (how far it
  can be trusted at all: about 1/K for an untrained one).
- `left_right_swap`: for a flip pair (a, b) both labeled, the summed distances to the
  predictions as labeled (D) and swapped (D'); evidence min(c_a, c_b) · ramp((D - D') / 2l;
  alpha/2 → 3alpha/2) · ramp(1 - D'/D; 0.5 → 0.8): swapping must fit much better, by more than the
  model's tolerance per point. Both keypoints of the pair get it.
- `edge_length`: for each skeleton edge, the log length over all the project's labels, each
  image's own size taken out (the median over its edges of how much longer they are than the
  project's median: robust to the one point being judged, independent of ROIs; images with
  fewer than 3 labeled edges are skipped); robust z = |x - median| / (1.4826 · MAD) (MAD
  floored at 5 %, so identical lengths do not make a 1 % difference an outlier); evidence
  ramp(z; 3.5 → 7) (3.5 is Iglewicz & Hoaglin's outlier cut-off). A keypoint
  gets the mean over its edges, so the point that bends all its edges is blamed more than its
  neighbours. Edges with fewer than `MIN_EDGE_LABELS` labels are skipped.
- `outside_roi`: ramp(distance outside the image's ROI / l; 0 → alpha/2).

`combine` merges them as a noisy-OR, 1 - Π(1 - e): any one strong signal makes a label
suspect, and weaker signals that agree add up, without weights to tune. The signals are
not independent (a swap is also far from its prediction), which only makes the score err
towards suspicion for labels where several signals agree - the ones a reviewer should see.

`vouched` then bounds the score by what the model says for the label: a label within alpha/2·l
of a prediction that lies within alpha·l of the truth with probability c is itself within
3alpha/2·l of the truth with at least that probability, so it is wrong with probability at
most 1 - c, whatever its geometry (score <= 1 - c · (1 - ramp(d / l; alpha/2 → 3alpha/2))).
Without it, an unusual but real pose (a stretched leg, a head turned to the camera) was a
certain suspect on edge length alone although the model put the point exactly there
(bench/label_suspects.py, docs/MODEL.md "Suspect labels").

To add a signal: write a function returning `Evidence` ((N, K) evidence plus the numbers its
reason needs), add it in `score_all` and a sentence for it in `_detail`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
KINDS = (
    "far_from_prediction",
    "classified_as_other",
    "left_right_swap",
    "edge_length",
    "outside_roi",
)
MIN_EDGE_LABELS = 10  # fewer labels of an edge than this: no distribution to compare with
MIN_EDGES_PER_IMAGE = 3  # an image's own size needs a median over several edges
MAD_FLOOR = 0.05  # in log length: 5 %
REASON_FLOOR = 0.1  # evidence below this is not given as a reason


@dataclass(frozen=True)
class Labels:
    """A project's human labels, (N images, K keypoints), in image pixels."""

    xy: FloatArray  # (N, K, 2), NaN where not labeled by a human
    scale: FloatArray  # (N,) the normaliser l in pixels
    roi: FloatArray  # (N, 4) x, y, w, h; NaN rows for images without one

    @property
    def labeled(self) -> NDArray[np.bool_]:
        return np.asarray(np.isfinite(self.xy).all(axis=2), dtype=np.bool_)


@dataclass(frozen=True)
class ModelView:
    """What the scoring version says, in the project's keypoint order."""

    xy: FloatArray  # (N, K, 2) predicted points, NaN where the model lacks the keypoint
    confidence: FloatArray  # (N, K) calibrated, 0 where the prediction is in doubt
    label_probs: FloatArray  # (N, K, K) KCN distribution of z at each label, NaN rows if none


@dataclass(frozen=True)
class Evidence:
    values: FloatArray  # (N, K) in [0, 1]
    numbers: dict[str, NDArray[Any]] = field(default_factory=dict)  # (N, K) each, for reasons


def ramp(x: FloatArray, low: float, high: float) -> FloatArray:
    """0 below `low`, 1 above `high`, linear between; NaN -> 0."""
    out: FloatArray = np.clip((np.nan_to_num(x, nan=low) - low) / (high - low), 0.0, 1.0)
    return out


def _distance(a: FloatArray, b: FloatArray) -> FloatArray:
    d: FloatArray = np.linalg.norm(a - b, axis=-1)
    return d


def far_from_prediction(labels: Labels, model: ModelView, alpha: float) -> Evidence:
    distance = _distance(labels.xy, model.xy)
    relative = distance / labels.scale[:, None]
    values = np.nan_to_num(model.confidence) * ramp(relative, alpha / 2, 1.5 * alpha)
    numbers = {"distance_px": distance, "relative": relative, "confidence": model.confidence}
    return Evidence(values, numbers)


def classified_as_other(model: ModelView) -> Evidence:
    probs = model.label_probs
    k = probs.shape[1]
    own = np.einsum("nkk->nk", probs)
    others = np.where(np.eye(k, dtype=bool)[None], -np.inf, np.nan_to_num(probs, nan=-np.inf))
    other = others.argmax(axis=2)
    p_other = np.take_along_axis(others, other[..., None], axis=2)[..., 0]
    read = np.isfinite(own) & np.isfinite(p_other)
    gap = np.where(read, p_other - own, 0.0)
    # How far to trust the classifier: the share of the project's labels it reads as their own
    # keypoint (a few wrong labels barely move it; an untrained KCN's 1/K silences it).
    accuracy = float((own[read] > p_other[read]).mean()) if read.any() else 0.0
    values = np.clip(gap, 0.0, 1.0) * accuracy
    numbers = {
        "other": other,
        "p_other": p_other,
        "p_own": own,
        "kcn_accuracy": np.full(own.shape, accuracy),
    }
    return Evidence(values, numbers)


def left_right_swap(
    labels: Labels, model: ModelView, alpha: float, flip_pairs: Sequence[tuple[int, int]]
) -> Evidence:
    shape = labels.xy.shape[:2]
    values = np.zeros(shape)
    partner = np.full(shape, -1)
    ratio = np.full(shape, np.nan)
    for a, b in flip_pairs:
        la, lb, pa, pb = labels.xy[:, a], labels.xy[:, b], model.xy[:, a], model.xy[:, b]
        as_labeled = _distance(la, pa) + _distance(lb, pb)
        swapped = _distance(la, pb) + _distance(lb, pa)
        gain = (as_labeled - swapped) / (2 * labels.scale)
        r = swapped / np.maximum(as_labeled, 1e-9)
        sure = np.nan_to_num(np.minimum(model.confidence[:, a], model.confidence[:, b]))
        e = sure * ramp(gain, alpha / 2, 1.5 * alpha) * ramp(1 - r, 0.5, 0.8)
        for k, other in ((a, b), (b, a)):
            better = e > values[:, k]
            values[:, k] = np.where(better, e, values[:, k])
            partner[:, k] = np.where(better, other, partner[:, k])
            ratio[:, k] = np.where(better, r, ratio[:, k])
    return Evidence(values, {"partner": partner, "ratio": ratio})


def edge_length(labels: Labels, edges: Sequence[tuple[int, int]]) -> Evidence:
    shape = labels.xy.shape[:2]
    total, count = np.zeros(shape), np.zeros(shape)
    worst, neighbour = np.zeros(shape), np.full(shape, -1)
    z_worst, length_ratio = np.full(shape, np.nan), np.full(shape, np.nan)
    residual = edge_residuals(labels.xy, edges)  # (N, E)
    for e, (a, b) in enumerate(edges):
        r = residual[:, e]
        ok = np.isfinite(r)
        if ok.sum() < MIN_EDGE_LABELS:
            continue
        median = float(np.median(r[ok]))
        spread = max(1.4826 * float(np.median(np.abs(r[ok] - median))), MAD_FLOOR)
        z = np.where(ok, np.abs(r - median) / spread, np.nan)
        evidence = ramp(z, 3.5, 7.0)
        for k, other in ((a, b), (b, a)):
            total[:, k] += np.where(ok, evidence, 0.0)
            count[:, k] += ok
            better = ok & (evidence > worst[:, k])
            worst[:, k] = np.where(better, evidence, worst[:, k])
            neighbour[:, k] = np.where(better, other, neighbour[:, k])
            z_worst[:, k] = np.where(better, z, z_worst[:, k])
            length_ratio[:, k] = np.where(better, np.exp(r - median), length_ratio[:, k])
    values = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return Evidence(values, {"neighbour": neighbour, "z": z_worst, "ratio": length_ratio})


def edge_residuals(xy: FloatArray, edges: Sequence[tuple[int, int]]) -> FloatArray:
    """(N, E) log edge lengths with each image's own size taken out; NaN where an edge is not
    labeled or the image has fewer than `MIN_EDGES_PER_IMAGE` labeled edges.

    An image's size is the median over its edges of (log length - that edge's project median),
    so one misplaced point, which bends only its own edges, barely moves it."""
    if not edges:
        return np.zeros((xy.shape[0], 0))
    a, b = np.array(edges).T
    with np.errstate(divide="ignore", invalid="ignore"):
        length = np.linalg.norm(xy[:, a] - xy[:, b], axis=-1)
        log_length = np.where(np.isfinite(length) & (length > 0), np.log(length), np.nan)
    enough = np.isfinite(log_length).sum(axis=1) >= MIN_EDGES_PER_IMAGE
    log_length = np.where(enough[:, None], log_length, np.nan)
    if not np.isfinite(log_length).any():
        return log_length
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns and rows
        edge_median = np.nanmedian(log_length, axis=0)  # (E,)
        size = np.nanmedian(log_length - edge_median[None], axis=1)  # (N,)
    residual: FloatArray = log_length - size[:, None]
    return residual


def outside_roi(labels: Labels, alpha: float) -> Evidence:
    x, y = labels.xy[..., 0], labels.xy[..., 1]
    x0, y0, w, h = (labels.roi[:, i : i + 1] for i in range(4))
    dx = np.maximum(np.maximum(x0 - x, x - (x0 + w)), 0.0)
    dy = np.maximum(np.maximum(y0 - y, y - (y0 + h)), 0.0)
    outside = np.hypot(dx, dy)  # NaN without an ROI or a label
    values = ramp(outside / labels.scale[:, None], 0.0, alpha / 2)
    values = np.where(np.isfinite(outside) & (outside > 0), values, 0.0)
    return Evidence(values, {"distance_px": outside})


@dataclass(frozen=True)
class Scores:
    score: FloatArray  # (N, K) noisy-OR of the evidences; 0 where not labeled
    evidence: dict[str, Evidence]


def score_all(
    labels: Labels,
    model: ModelView,
    alpha: float,
    flip_pairs: Sequence[tuple[int, int]],
    edges: Sequence[tuple[int, int]],
) -> Scores:
    far = far_from_prediction(labels, model, alpha)
    evidence = {
        "far_from_prediction": far,
        "classified_as_other": classified_as_other(model),
        "left_right_swap": left_right_swap(labels, model, alpha, flip_pairs),
        "edge_length": edge_length(labels, edges),
        "outside_roi": outside_roi(labels, alpha),
    }
    score = combine([e.values for e in evidence.values()], labels.labeled)
    return Scores(np.minimum(score, 1.0 - vouched(far, alpha)), evidence)


def vouched(far: Evidence, alpha: float) -> FloatArray:
    """c · (1 - ramp(d / l; alpha/2 → 3alpha/2)): the probability, by the version's calibrated
    confidence c, that a label this close to its prediction is right; 0 without a prediction."""
    relative = far.numbers["relative"]
    near = np.where(np.isfinite(relative), 1.0 - ramp(relative, alpha / 2, 1.5 * alpha), 0.0)
    sure: FloatArray = np.nan_to_num(far.numbers["confidence"]) * near
    return sure


def combine(values: Sequence[FloatArray], labeled: NDArray[np.bool_]) -> FloatArray:
    """Noisy-OR: 1 - prod(1 - e); 0 for keypoints without a human label."""
    keep = np.ones(labeled.shape)
    for v in values:
        keep = keep * (1.0 - np.clip(np.nan_to_num(v), 0.0, 1.0))
    score: FloatArray = np.where(labeled, 1.0 - keep, 0.0)
    return score


def reasons(
    scores: Scores, image: int, keypoint: int, names: Sequence[str]
) -> list[dict[str, Any]]:
    """The signals behind one label's score, strongest first, as stored in `reasons`."""
    found = []
    for kind in KINDS:
        e = scores.evidence[kind]
        numbers = {name: _plain(a[image, keypoint]) for name, a in e.numbers.items()}
        found.append((float(e.values[image, keypoint]), kind, numbers))
    found.sort(key=lambda item: -item[0])
    # The strongest always, so a stored suspect never lacks a why.
    found = found[:1] + [f for f in found[1:] if f[0] >= REASON_FLOOR]
    return [
        {"kind": kind, "detail": _detail(kind, numbers, names), "evidence": round(value, 3),
         **_named(numbers, names)}
        for value, kind, numbers in found
    ]  # fmt: skip


def _plain(value: Any) -> float | int | None:
    if isinstance(value, np.integer):
        return int(value)
    number = float(value)
    return round(number, 4) if np.isfinite(number) else None


def _named(numbers: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Indices of other keypoints become their names (the review UI shows names)."""
    named = {}
    for key, value in numbers.items():
        if key in ("other", "partner", "neighbour"):
            named[f"{key}_keypoint" if key != "other" else "other_keypoint"] = (
                names[value] if isinstance(value, int) and 0 <= value < len(names) else None
            )
        else:
            named[key] = value
    return named


def _detail(kind: str, numbers: dict[str, Any], names: Sequence[str]) -> str:
    def name(key: str) -> str:
        i = numbers.get(key)
        return names[i] if isinstance(i, int) and 0 <= i < len(names) else "?"

    if kind == "far_from_prediction":
        return (
            f"{numbers['relative'] * 100:.0f}% of the animal's size from where the model, "
            f"{numbers['confidence'] * 100:.0f}% sure, puts it"
        )
    if kind == "classified_as_other":
        return (
            f"the keypoint classifier reads this spot as {name('other')} "
            f"({numbers['p_other'] * 100:.0f}% vs {numbers['p_own'] * 100:.0f}%)"
        )
    if kind == "left_right_swap":
        return (
            f"swapped with {name('partner')} it fits the prediction much better "
            f"({numbers['ratio'] * 100:.0f}% of the distance as labeled)"
        )
    if kind == "edge_length":
        return (
            f"the edge to {name('neighbour')} is {numbers['ratio']:.2f}x the project's median "
            f"length (robust z {numbers['z']:.1f})"
        )
    return f"{numbers['distance_px']:.0f} px outside the image's region of interest"
