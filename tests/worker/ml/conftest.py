"""Synthetic data for the model-library tests: coloured dots on noise, one colour per keypoint."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from worker.ml.data import KeypointSchema, LabeledSample, UnlabeledSample

COLORS = np.array([[255, 40, 40], [40, 255, 40], [60, 60, 255]], dtype=np.uint8)
WIDTH, HEIGHT = 128, 96  # not square, so letterboxing is exercised


def dot_image(
    rng: np.random.Generator, radius: int = 4
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    image = (rng.random((HEIGHT, WIDTH, 3)) * 90).astype(np.uint8)
    xy = np.stack([rng.uniform(10, WIDTH - 10, 3), rng.uniform(10, HEIGHT - 10, 3)], axis=1)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    for (x, y), color in zip(xy, COLORS, strict=True):
        image[(xx - x) ** 2 + (yy - y) ** 2 <= radius**2] = color
    return image, xy


def dot_samples(count: int, seed: int) -> list[LabeledSample]:
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        image, xy = dot_image(rng)
        box = (0.0, 0.0, float(WIDTH), float(HEIGHT))
        samples.append(LabeledSample(image, xy, np.full(3, 2, dtype=np.int64), bbox=box))
    return samples


@pytest.fixture
def schema() -> KeypointSchema:
    return KeypointSchema(["red", "green", "blue"])


@pytest.fixture
def dots() -> tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]]:
    """(labeled, unlabeled, validation) dot images."""
    unlabeled = [UnlabeledSample(s.image) for s in dot_samples(16, seed=2)]
    return dot_samples(12, seed=0), unlabeled, dot_samples(12, seed=1)
