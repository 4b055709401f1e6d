"""The coordinate spaces of a prediction and the one conversion between each pair.

`image` (the displayed image's pixels) -> `input` (the S x S network input): `letterbox` crops
the region of interest, resizes it keeping its aspect ratio and centres it on a black square;
its `Letterbox` converts points both ways. `input` -> `heatmap` (S/stride a side):
`input_to_heatmap(stride)`. Pixel centres sit at integer coordinates in every space, so an image
W pixels wide spans x in [-0.5, W - 0.5] and heatmap pixel j covers input pixels
[stride*j, stride*j + stride).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Roi = tuple[float, float, float, float]  # x, y, w, h in image pixels


@dataclass(frozen=True)
class Letterbox:
    """Axis-aligned map image -> input: xy_input = (xy_image - origin + 0.5) * scale - 0.5 + pad."""

    origin_x: float
    origin_y: float
    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def image_to_input(self, xy_image: NDArray[np.float64]) -> NDArray[np.float64]:
        origin = np.array([self.origin_x, self.origin_y])
        scale = np.array([self.scale_x, self.scale_y])
        pad = np.array([self.pad_x, self.pad_y])
        result: NDArray[np.float64] = (np.asarray(xy_image, np.float64) - origin + 0.5) * scale
        result += pad - 0.5
        return result

    def input_to_image(self, xy_input: NDArray[np.float64]) -> NDArray[np.float64]:
        origin = np.array([self.origin_x, self.origin_y])
        scale = np.array([self.scale_x, self.scale_y])
        pad = np.array([self.pad_x, self.pad_y])
        result: NDArray[np.float64] = (np.asarray(xy_input, np.float64) - pad + 0.5) / scale
        result += origin - 0.5
        return result


def letterbox(
    image: NDArray[np.uint8], size: int, roi: Roi | None = None
) -> tuple[NDArray[np.uint8], Letterbox]:
    """(H, W, 3) uint8 -> the (size, size, 3) network input and its map: crop `roi` (default:
    the whole image; clipped to the image), resize keeping aspect (bilinear), centre on black."""
    height, width = image.shape[:2]
    x, y, w, h = roi if roi is not None else (0.0, 0.0, float(width), float(height))
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"roi {roi} does not overlap the {width}x{height} image")
    crop = image[y0:y1, x0:x1]
    crop_h, crop_w = crop.shape[:2]
    scale = size / max(crop_w, crop_h)
    new_w, new_h = max(1, round(crop_w * scale)), max(1, round(crop_h * scale))
    resized = np.asarray(Image.fromarray(crop).resize((new_w, new_h), Image.Resampling.BILINEAR))
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    box = Letterbox(x0, y0, new_w / crop_w, new_h / crop_h, pad_x, pad_y)
    return canvas, box


@dataclass(frozen=True)
class AxisMap:
    """The same affine map on both axes: xy' = xy * scale + offset. Its fields let array
    libraries other than numpy (torch tensors, homographies) apply the very same numbers."""

    scale: float
    offset: float

    def __call__(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = np.asarray(xy, np.float64) * self.scale + self.offset
        return result

    def inverse(self) -> AxisMap:
        return AxisMap(1 / self.scale, -self.offset / self.scale)


def input_to_heatmap(stride: int) -> AxisMap:
    """input -> heatmap: xy_heatmap = (xy_input + 0.5) / stride - 0.5."""
    return AxisMap(1 / stride, 0.5 / stride - 0.5)


def heatmap_to_input(stride: int) -> AxisMap:
    """heatmap -> input: xy_input = (xy_heatmap + 0.5) * stride - 0.5."""
    return input_to_heatmap(stride).inverse()
