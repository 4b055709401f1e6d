"""Typed samples, the COCO-keypoints reader, and the in-memory training sets.

Training sets are letterboxed once to the square input and kept as uint8 tensors (200 images
at 192 px are 22 MB); augmentation then runs batched on the training device (`augment.py`),
which on 2 CPU cores is far cheaper than per-sample PIL work in DataLoader processes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image
from torch import Tensor

from imaging.geometry import Letterbox, Roi, letterbox
from imaging.pixels import rgb_pixels
from worker.ml.config import OccludedPolicy

ImageSource = str | Path | NDArray[np.uint8]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
UNLABELED, OCCLUDED, VISIBLE = 0, 1, 2  # COCO visibility flags
NormalizerKind = Literal["bbox", "roi", "extent"]


@dataclass(frozen=True)
class KeypointSchema:
    names: list[str]
    flip_pairs: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.names or len(set(self.names)) != len(self.names):
            raise ValueError("keypoint names must be non-empty and unique")
        for a, b in self.flip_pairs:
            if not (0 <= a < len(self.names) and 0 <= b < len(self.names)) or a == b:
                raise ValueError(f"bad flip pair ({a}, {b})")


@dataclass(frozen=True)
class LabeledSample:
    image: ImageSource
    keypoints_xy: NDArray[np.float64]  # (K, 2) image pixels
    visibility: NDArray[np.int64]  # (K,) 0 unlabeled, 1 occluded, 2 visible
    bbox: tuple[float, float, float, float] | None = None  # x, y, w, h: PCK normaliser
    roi: Roi | None = None  # crop fed to the network; None = whole image

    def __post_init__(self) -> None:
        k = len(self.visibility)
        if self.keypoints_xy.shape != (k, 2):
            raise ValueError(f"keypoints_xy must be ({k}, 2), got {self.keypoints_xy.shape}")
        if not np.isin(self.visibility, (UNLABELED, OCCLUDED, VISIBLE)).all():
            raise ValueError("visibility must be 0, 1 or 2")

    def normalizer_kind(self) -> NormalizerKind:
        """What `normalizer` measures: the annotated bbox, else the image's ROI (the crop the
        annotator drew around the animal), else the labeled keypoints' extent."""
        if self.bbox is not None:
            return "bbox"
        return "roi" if self.roi is not None else "extent"

    def normalizer(self) -> float:
        """The PCK length l: longest side of the bbox, else of the ROI, else of the labeled
        keypoints' extent (stricter than a bbox: a median 1.14x on tiger_pose)."""
        if self.bbox is not None:
            return float(max(self.bbox[2], self.bbox[3]))
        if self.roi is not None:
            return float(max(self.roi[2], self.roi[3], 1.0))
        labeled = self.keypoints_xy[self.visibility > 0]
        if len(labeled) < 2:
            return 1.0
        return float(max(np.ptp(labeled, axis=0).max(), 1.0))


@dataclass(frozen=True)
class UnlabeledSample:
    image: ImageSource
    roi: Roi | None = None


def load_image(source: ImageSource) -> NDArray[np.uint8]:
    """(H, W, 3) uint8 pixels as the annotator saw them (`imaging.pixels`); arrays pass through."""
    if isinstance(source, np.ndarray):
        if source.ndim == 2:
            return np.repeat(source[:, :, None], 3, axis=2)
        return source[:, :, :3]
    with Image.open(source) as image:
        return rgb_pixels(image)


def supervised_mask(visibility: NDArray[np.int64], occluded: OccludedPolicy) -> NDArray[np.bool_]:
    mask: NDArray[np.bool_] = visibility > (UNLABELED if occluded == "supervise" else OCCLUDED)
    return mask


@dataclass
class PreparedLabeled:
    images: Tensor  # (N, 3, S, S) uint8
    xy_input: Tensor  # (N, K, 2) float32, input pixels
    supervised: Tensor  # (N, K) bool
    boxes: list[Letterbox]
    samples: list[LabeledSample]


def prepare_labeled(
    samples: Sequence[LabeledSample], size: int, occluded: OccludedPolicy
) -> PreparedLabeled:
    images, xys, masks, boxes = [], [], [], []
    for sample in samples:
        canvas, box = letterbox(load_image(sample.image), size, sample.roi)
        images.append(torch.from_numpy(canvas.copy()).permute(2, 0, 1))
        xys.append(torch.from_numpy(box.image_to_input(sample.keypoints_xy)).float())
        masks.append(torch.from_numpy(supervised_mask(sample.visibility, occluded)))
        boxes.append(box)
    if not samples:
        raise ValueError("no labeled samples")
    return PreparedLabeled(
        torch.stack(images), torch.stack(xys), torch.stack(masks), boxes, list(samples)
    )


def prepare_unlabeled(samples: Sequence[UnlabeledSample], size: int) -> Tensor:
    """(N, 3, S, S) uint8; an empty set gives (0, 3, S, S)."""
    images = [
        torch.from_numpy(letterbox(load_image(s.image), size, s.roi)[0].copy()).permute(2, 0, 1)
        for s in samples
    ]
    return torch.stack(images) if images else torch.zeros(0, 3, size, size, dtype=torch.uint8)


class CyclingSampler:
    """Endless shuffled indices: every item once per pass, reshuffled each pass."""

    def __init__(self, size: int, generator: torch.Generator) -> None:
        self.size = size
        self.generator = generator
        self.order: list[int] = []

    def take(self, count: int) -> list[int]:
        out: list[int] = []
        while len(out) < count:
            if not self.order:
                self.order = torch.randperm(self.size, generator=self.generator).tolist()
            out.append(self.order.pop())
        return out


def read_coco(
    annotation_path: str | Path, image_dir: str | Path
) -> tuple[KeypointSchema, list[LabeledSample], list[str]]:
    """One `LabeledSample` per annotation of the first keypoint category, and its file name.

    Flip pairs are read from a non-standard `flip_pairs` list of name pairs on the category.
    """
    data = json.loads(Path(annotation_path).read_text())
    category = next(c for c in data["categories"] if c.get("keypoints"))
    names: list[str] = list(category["keypoints"])
    pairs = [(names.index(a), names.index(b)) for a, b in category.get("flip_pairs", [])]
    files = {image["id"]: image["file_name"] for image in data["images"]}
    samples, file_names = [], []
    for ann in data["annotations"]:
        if ann.get("category_id") != category["id"] or ann.get("num_keypoints", 1) == 0:
            continue
        raw = np.asarray(ann["keypoints"], dtype=np.float64).reshape(-1, 3)
        bbox = tuple(float(v) for v in ann["bbox"]) if "bbox" in ann else None
        samples.append(
            LabeledSample(
                image=Path(image_dir) / files[ann["image_id"]],
                keypoints_xy=raw[:, :2].copy(),
                visibility=raw[:, 2].astype(np.int64),
                bbox=bbox,  # type: ignore[arg-type]
            )
        )
        file_names.append(files[ann["image_id"]])
    return KeypointSchema(names, pairs), samples, file_names


def list_images(folder: str | Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
