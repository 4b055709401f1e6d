"""The peak decode the API (ONNX) and the worker (torch) both run: sub-pixel exact on a
Gaussian, at the border too, and the plain arg-max where no parabola fits."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.peaks import peak_decode


def gaussian(xy: list[tuple[float, float]], size: int = 48, sigma: float = 2.0) -> np.ndarray:
    grid = np.arange(size, dtype=np.float64)
    return np.stack(
        [
            np.exp(-((grid[:, None] - y) ** 2 + (grid[None, :] - x) ** 2) / (2 * sigma**2))
            for x, y in xy
        ]
    ).astype(np.float32)


def test_a_gaussian_peak_is_found_to_a_fraction_of_a_pixel_even_at_the_border() -> None:
    xy = [(10.3, 20.7), (5.55, 3.2), (0.2, 40.9), (47.4, 0.0)]
    found, confidence = peak_decode(gaussian(xy))
    assert found.shape == (4, 2) and confidence.shape == (4,)
    assert np.abs(found - np.array(xy)).max() < 0.05
    assert confidence.min() > 0.9


def test_leading_dimensions_are_kept() -> None:
    maps = gaussian([(3.0, 4.0), (7.5, 1.25), (2.0, 2.0), (5.0, 6.0)], size=12)
    found, confidence = peak_decode(maps.reshape(2, 2, 12, 12))
    assert found.shape == (2, 2, 2) and confidence.shape == (2, 2)
    assert found[1, 0].tolist() == pytest.approx([2.0, 2.0], abs=1e-4)


def test_a_lone_pixel_or_an_empty_map_decodes_to_the_arg_max_pixel() -> None:
    maps = np.zeros((2, 8, 8), np.float32)
    maps[0, 3, 5] = 0.5  # no curvature around it that a parabola could fit
    found, confidence = peak_decode(maps)
    assert found[0].tolist() == [5.0, 3.0] and confidence[0] == pytest.approx(0.5)
    assert found[1].tolist() == [0.0, 0.0] and confidence[1] == 0.0
