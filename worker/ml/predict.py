"""Batched inference: images of any size (optionally an ROI each) -> keypoints in image pixels.

`Predictor.from_checkpoint(path, device)` rebuilds the network from the checkpoint's own
config (no ImageNet download at inference). Confidence is the heatmap peak value (≈1 for a
confident, well-formed peak); `return_z` also yields the semantic representations z (K, C)
for embeddings and active learning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from imaging.geometry import Letterbox, Roi, letterbox
from worker.ml import heatmaps as hm
from worker.ml.checkpoint import load_checkpoint
from worker.ml.config import TrainConfig
from worker.ml.data import ImageSource, KeypointSchema, load_image
from worker.ml.model import KeypointModel


@dataclass(frozen=True)
class Prediction:
    xy: NDArray[np.float64]  # (K, 2) original image pixels
    confidence: NDArray[np.float64]  # (K,)
    z: NDArray[np.float32] | None = None  # (K, C)


Runner = Callable[[Tensor], tuple[Tensor, Tensor]]  # images in [0, 1] -> (heatmaps, z)


@torch.no_grad()
def predict_input(
    model: KeypointModel,
    images_uint8: Tensor,
    device: torch.device,
    batch_size: int = 16,
    runner: Runner | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """(N, 3, S, S) uint8 letterboxed images -> xy_input (N, K, 2), confidence, z (CPU).

    `runner` replaces the eager model (e.g. `onnx_runtime.OnnxRunner`)."""
    model.eval()
    xys, confs, zs = [], [], []
    for start in range(0, images_uint8.shape[0], batch_size):
        chunk = images_uint8[start : start + batch_size].to(device).float() / 255
        if runner is not None:
            heatmaps, z = runner(chunk)
        else:
            with torch.autocast(device.type, enabled=device.type == "cuda"):
                out = model(chunk)
            heatmaps, z = out.heatmaps, out.z
        xy_heatmap, confidence = hm.decode(heatmaps.float())
        xys.append(hm.heatmap_to_input(xy_heatmap, model.config.heatmap_stride).cpu())
        confs.append(confidence.cpu())
        zs.append(z.float().cpu())
    return torch.cat(xys), torch.cat(confs), torch.cat(zs)


def to_image_space(xy_input: Tensor, boxes: Sequence[Letterbox]) -> NDArray[np.float64]:
    return np.stack(
        [box.input_to_image(xy.double().numpy()) for xy, box in zip(xy_input, boxes, strict=True)]
    )


class Predictor:
    def __init__(
        self,
        model: KeypointModel,
        schema: KeypointSchema,
        device: torch.device,
        runner: Runner | None = None,
    ) -> None:
        self.model = model.to(device).eval()
        self.schema = schema
        self.device = device
        self.runner = runner

    @staticmethod
    def from_checkpoint(
        path: str | Path, device: str = "cpu", onnx_path: str | Path | None = None
    ) -> Predictor:
        """With `onnx_path`, exports the model there (if absent) and runs it with onnxruntime
        on the CPU; results equal the eager model to ~1e-6 (tests/worker/ml)."""
        payload = load_checkpoint(path, "cpu")
        config = TrainConfig.from_dict(payload["config"])
        schema = KeypointSchema(
            payload["keypoint_names"], [tuple(p) for p in payload["flip_pairs"]]
        )
        model_config = replace(config.model, pretrained="none")  # weights come from the file
        model = KeypointModel(model_config, len(schema.names))
        model.load_state_dict(payload["model"])
        runner: Runner | None = None
        if onnx_path is not None:
            from worker.ml.onnx_runtime import OnnxRunner, export_with_z

            if not Path(onnx_path).exists():
                export_with_z(model.eval(), onnx_path)
            runner = OnnxRunner(onnx_path)
            device = "cpu"
        return Predictor(model, schema, torch.device(device), runner)

    def predict(
        self,
        images: Sequence[ImageSource],
        rois: Sequence[Roi | None] | None = None,
        batch_size: int = 16,
        return_z: bool = False,
    ) -> list[Prediction]:
        size = self.model.config.input_size
        rois = rois if rois is not None else [None] * len(images)
        if len(rois) != len(images):
            raise ValueError("give one roi (or None) per image")
        results: list[Prediction] = []
        for start in range(0, len(images), batch_size):
            boxed = [
                letterbox(load_image(image), size, roi)
                for image, roi in zip(
                    images[start : start + batch_size],
                    rois[start : start + batch_size],
                    strict=True,
                )
            ]
            batch = torch.stack([torch.from_numpy(c.copy()).permute(2, 0, 1) for c, _ in boxed])
            xy_input, confidence, z = predict_input(
                self.model, batch, self.device, batch_size, self.runner
            )
            xy_image = to_image_space(xy_input, [box for _, box in boxed])
            for i in range(len(boxed)):
                results.append(
                    Prediction(
                        xy=xy_image[i],
                        confidence=confidence[i].double().numpy(),
                        z=z[i].numpy() if return_z else None,
                    )
                )
        return results
