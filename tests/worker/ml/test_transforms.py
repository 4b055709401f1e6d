import numpy as np
import torch

from worker.ml import heatmaps as hm
from worker.ml.config import AugmentConfig
from worker.ml.transforms import (
    flip_permutation,
    random_perspective,
    random_similarity,
    swap_flipped,
    to_heatmap_homography,
    warp,
    warp_points,
)


def bright_square(height: int, width: int, x: int, y: int) -> np.ndarray:
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[y - 2 : y + 3, x - 2 : x + 3] = 255
    return image


def centroid(image: np.ndarray | torch.Tensor) -> np.ndarray:
    weights = np.asarray(image, dtype=np.float64)
    ys, xs = np.mgrid[0 : weights.shape[0], 0 : weights.shape[1]]
    found: np.ndarray = np.array([(xs * weights).sum(), (ys * weights).sum()]) / weights.sum()
    return found


def test_one_warp_moves_images_heatmaps_and_keypoints_together() -> None:
    generator = torch.Generator().manual_seed(3)
    size, stride = 128, 4
    homography = random_perspective(4, size, 0.15, generator)
    xy_input = torch.tensor([[[50.0, 70.0]], [[64.0, 64.0]], [[80.5, 40.25]], [[30.0, 90.0]]])
    expected = warp_points(xy_input, homography)

    maps, _ = hm.encode(hm.input_to_heatmap(xy_input, stride), torch.ones(4, 1), (32, 32), 2.0)
    warped_maps = warp(maps, to_heatmap_homography(homography, stride), 32)
    found_heatmap = hm.heatmap_to_input(hm.decode(warped_maps)[0], stride)
    assert (found_heatmap - expected).abs().max() < 1.0  # sub-pixel at heatmap scale (4 px)

    images, _ = hm.encode(xy_input, torch.ones(4, 1), (size, size), 3.0)  # blobs as images
    found_image = hm.decode(warp(images, homography, size))[0]
    assert (found_image - expected).abs().max() < 0.5


def test_perspective_corner_jitter_is_bounded() -> None:
    generator = torch.Generator().manual_seed(0)
    homography = random_perspective(64, 100, 0.1, generator)
    corners = torch.tensor([[[0.0, 0.0], [99.0, 0.0], [99.0, 99.0], [0.0, 99.0]]]).expand(64, 4, 2)
    moved = warp_points(corners, homography) - corners
    assert moved.abs().max() <= 10.0 + 1e-3
    assert moved.abs().max() > 5.0  # and actually warps


def test_flip_mirrors_keypoints_and_swaps_left_right_channels() -> None:
    config = AugmentConfig(scale=(1.0, 1.0), rotation_deg=0.0, flip_prob=1.0)
    matrix, flipped = random_similarity(1, 65, config, True, torch.Generator().manual_seed(0))
    xy = torch.tensor([[[10.0, 5.0], [50.0, 5.0], [32.0, 20.0]]])  # left, right, center
    moved = swap_flipped(warp_points(xy, matrix), flipped, flip_permutation(3, [(0, 1)]))
    assert flipped.all()
    assert torch.allclose(moved, torch.tensor([[[14.0, 5.0], [54.0, 5.0], [32.0, 20.0]]]))
