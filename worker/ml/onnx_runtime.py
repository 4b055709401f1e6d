"""Optional ONNX Runtime CPU inference for a trained `KeypointModel`.

`export_with_z` exports images -> (heatmaps, z) with torch.export (`export.export_graph`); the
API's file, heatmaps only, is `export.export_onnx`'s. z is computed with an amax over a
(B, C, H*W) product per keypoint: the memory-saving autograd function of `representation.py`
is training-only and does not export. `OnnxRunner` runs the
file with onnxruntime and returns tensors, so `Predictor` decodes both back ends the same
way. Measure before switching (bench/ml_cost.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from worker.ml.export import export_graph
from worker.ml.model import KeypointModel


class _Inference(nn.Module):
    def __init__(self, model: KeypointModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        heatmaps, features = self.model.localize(images)
        flat_f, flat_h = features.flatten(2), heatmaps.flatten(2)
        z = torch.stack(
            [(flat_f * flat_h[:, k : k + 1]).amax(dim=2) for k in range(flat_h.shape[1])], dim=1
        )
        return heatmaps, z


def export_with_z(model: KeypointModel, path: str | Path) -> Path:
    return export_graph(_Inference(model), model.config.input_size, path, ["heatmaps", "z"])


class OnnxRunner:
    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        self.session: Any = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, images: Tensor) -> tuple[Tensor, Tensor]:
        heatmaps, z = self.session.run(None, {"images": images.float().cpu().numpy()})
        return torch.from_numpy(heatmaps), torch.from_numpy(z)
