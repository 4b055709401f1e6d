"""A 2-D map of the semantic keypoint representations z_i (Moskvyak et al., Figure 4).

t-SNE (scikit-learn) of every keypoint's z of every validation image, standardised per
channel first. Stored JSON-compact in an evaluation's metrics:
`{"method", "points": [[x, y, keypoint_index, sample_index, labeled], ...]}` with x, y
scaled into [-1, 1]; `sample_index` indexes the evaluation's `image_ids`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

# Barnes-Hut t-SNE costs seconds per thousand points on a CPU core; beyond this many keypoint
# instances a deterministic subsample is shown (plenty to see the clusters of Figure 4).
MAX_POINTS = 2000
# z is reduced to this many principal components before t-SNE (the usual practice; it drops
# noise and makes the neighbour search cheap).
PCA_DIMS = 50


def embed_keypoints(
    z: NDArray[np.float32],
    labeled: NDArray[np.bool_],
    seed: int = 0,
    max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """z (N, K, C) and labeled (N, K) -> the JSON map described in the module docstring."""
    n, k, c = z.shape
    flat = z.reshape(n * k, c).astype(np.float64)  # row r = sample r // k, keypoint r % k
    rows = np.arange(n * k)
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
    data = flat[rows]
    finite_rows = np.isfinite(data).all(axis=1)
    rows, data = rows[finite_rows], data[finite_rows]
    if len(rows) == 0:
        return {"method": "none", "points": []}
    data = (data - data.mean(axis=0)) / (data.std(axis=0) + 1e-6)
    xy, method = _project(data, seed)
    span = np.abs(xy).max()
    xy = xy / span if span > 0 else xy
    points = [
        [round(float(x), 4), round(float(y), 4), int(r % k), int(r // k), bool(labeled.flat[r])]
        for (x, y), r in zip(xy, rows, strict=True)
    ]
    return {"method": method, "points": points}


def _project(data: NDArray[np.float64], seed: int) -> tuple[NDArray[np.float64], str]:
    """t-SNE when there are enough points for a meaningful perplexity, else PCA (tiny sets)."""
    from sklearn.decomposition import PCA  # type: ignore[import-untyped]
    from sklearn.manifold import TSNE  # type: ignore[import-untyped]

    count = len(data)
    if count >= 8:
        if data.shape[1] > PCA_DIMS and count > PCA_DIMS:
            data = np.asarray(PCA(n_components=PCA_DIMS, random_state=seed).fit_transform(data))
        perplexity = float(min(30.0, (count - 1) / 3))
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
        return np.asarray(tsne.fit_transform(data), dtype=np.float64), "tsne"
    if count >= 2:
        components = min(2, data.shape[1], count)
        xy = np.asarray(PCA(n_components=components).fit_transform(data), dtype=np.float64)
        if xy.shape[1] < 2:
            xy = np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))
        return xy, "pca"
    return np.zeros((count, 2)), "none"
