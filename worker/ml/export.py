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

OPSET = 18  # torch.export's ONNX translation's default; onnxruntime runs it
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
    target = export_graph(
        _Heatmaps(model.cpu().eval()), model.config.input_size, path, [OUTPUT_NAME]
    )
    proto = onnx.load(str(target))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "keypoint_names", json.dumps(keypoint_names)
    onnx.save(proto, str(target))
    return target


def export_graph(module: nn.Module, size: int, path: str | Path, outputs: list[str]) -> Path:
    """`module`: images (B, 3, size, size) -> `outputs`, exported with torch.export (the
    TorchScript exporter is deprecated); the batch dimension stays dynamic."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    batch = torch.export.Dim("batch", min=1, max=4096)
    with torch.no_grad():
        torch.onnx.export(
            module.eval(),
            (torch.zeros(2, 3, size, size),),
            str(target),
            input_names=[INPUT_NAME],
            output_names=outputs,
            dynamic_shapes={"images": {0: batch}},
            opset_version=OPSET,
            dynamo=True,
            external_data=False,  # one self-contained file; the models are tens of MB
            verbose=False,
        )
    return target
