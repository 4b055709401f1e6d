"""ONNX export of the heatmap network, so the API can predict without torch (onnxruntime).

The graph is `localize` only: uint8-range float images (B, 3, S, S) in [0, 1] -> heatmaps
(B, K, S/4, S/4). Letterboxing and the peak decode stay outside, in numpy on the API side
(`backend/services/onnx_predict.py`), because z and the keypoint classifier are not needed
to place keypoints and the custom max-pool autograd function has no ONNX symbolic.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import torch
from torch import Tensor, nn

from worker.ml.model import KeypointModel

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "images", "heatmaps"


class _Heatmaps(nn.Module):
    def __init__(self, model: KeypointModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> Tensor:
        return self.model.localize(images)[0]


def export_onnx(model: KeypointModel, path: str | Path, keypoint_names: list[str]) -> Path:
    """Write `model`'s heatmap network to `path` (batch dimension dynamic), with the keypoint
    names in the model's metadata (`keypoint_names`, JSON); returns `path`."""
    if len(keypoint_names) != model.num_keypoints:
        raise ValueError(f"{len(keypoint_names)} names for {model.num_keypoints} keypoints")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    size = model.config.input_size
    wrapper = _Heatmaps(model.cpu().eval()).eval()
    example = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (example,),
            str(target),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    proto = onnx.load(str(target))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "keypoint_names", json.dumps(keypoint_names)
    onnx.save(proto, str(target))
    return target
