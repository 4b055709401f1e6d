"""The coordinate spaces image -> input -> heatmap and the one map between each pair."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.geometry import AxisMap, heatmap_to_input, input_to_heatmap, letterbox


def bright_square(height: int, width: int, x: int, y: int) -> np.ndarray:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[y - 2 : y + 3, x - 2 : x + 3] = 255
    return image


def centroid(gray: np.ndarray) -> np.ndarray:
    weights = np.asarray(gray, dtype=np.float64)
    ys, xs = np.mgrid[0 : weights.shape[0], 0 : weights.shape[1]]
    found: np.ndarray = np.array([(xs * weights).sum(), (ys * weights).sum()]) / weights.sum()
    return found


def test_letterbox_maps_image_pixels_to_where_they_land_in_the_input() -> None:
    image = bright_square(300, 500, x=400, y=60)
    canvas, box = letterbox(image, 128)
    assert canvas.shape == (128, 128, 3) and canvas.dtype == np.uint8
    expected = box.image_to_input(np.array([400.0, 60.0]))
    assert np.abs(centroid(canvas[..., 0]) - expected).max() < 0.3


def test_letterbox_of_an_roi_maps_input_points_back_to_original_pixels() -> None:
    image = bright_square(300, 500, x=250, y=150)
    canvas, box = letterbox(image, 64, (200.0, 100.0, 120.0, 90.0))
    found = box.input_to_image(centroid(canvas[..., 0]))
    assert np.abs(found - [250, 150]).max() < 0.5


def test_points_round_trip_image_to_input_and_back() -> None:
    _, box = letterbox(np.zeros((90, 150, 3), np.uint8), 64, (10.0, 5.0, 120.0, 70.0))
    xy_image = np.random.default_rng(0).uniform(-10, 160, (20, 2))
    assert np.allclose(box.input_to_image(box.image_to_input(xy_image)), xy_image)


def test_a_wide_image_is_centred_between_equal_black_bars_and_its_edges_meet_theirs() -> None:
    canvas, box = letterbox(np.full((100, 200, 3), 255, np.uint8), 64)
    assert (box.pad_x, box.pad_y) == (0, 16)
    assert (canvas[:16] == 0).all() and (canvas[48:] == 0).all() and (canvas[16:48] == 255).all()
    corners_image = np.array([[-0.5, -0.5], [199.5, 99.5]])  # outer edges of the corner pixels
    assert box.image_to_input(corners_image).tolist() == [[-0.5, 15.5], [63.5, 47.5]]


def test_rejects_a_region_of_interest_outside_the_image() -> None:
    with pytest.raises(ValueError, match="does not overlap"):
        letterbox(np.zeros((10, 10, 3), np.uint8), 32, (20.0, 20.0, 5.0, 5.0))


def test_a_heatmap_pixel_centre_is_the_centre_of_its_stride_block_of_input_pixels() -> None:
    to_heatmap = input_to_heatmap(4)
    assert to_heatmap(np.array([[1.5, 1.5], [5.5, 1.5]])).tolist() == [[0.0, 0.0], [1.0, 0.0]]
    assert to_heatmap(np.array([[-0.5, 63.5]])).tolist() == [[-0.5, 15.5]]  # edges meet


@pytest.mark.parametrize("stride", [1, 2, 4, 8])
def test_heatmap_to_input_is_the_inverse_of_input_to_heatmap(stride: int) -> None:
    xy = np.random.default_rng(stride).uniform(-1, 200, (10, 2))
    assert np.allclose(heatmap_to_input(stride)(input_to_heatmap(stride)(xy)), xy)
    assert heatmap_to_input(stride) == AxisMap(stride, 0.5 * stride - 0.5)
