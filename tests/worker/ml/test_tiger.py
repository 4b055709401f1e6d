"""Checks against the real tiger_pose data in ../shared/data; skipped where it is absent."""

from pathlib import Path

import numpy as np
import pytest
import timm
import torch

from imaging.geometry import letterbox
from worker.ml.backbones import IMAGENET_MEAN, IMAGENET_STD, efficientnet_lite0_package_state
from worker.ml.data import load_image, read_coco

TIGER = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "tiger_pose"
pytestmark = pytest.mark.skipif(
    not TIGER.exists(), reason=f"tiger_pose data not found at {TIGER} (see shared/data/README.md)"
)
IMAGENET_TIGER = 292


def test_reads_the_tiger_coco_file() -> None:
    schema, samples, files = read_coco(TIGER / "annotations.json", TIGER / "images")
    assert len(schema.names) == 12 and schema.flip_pairs == []
    assert len(samples) == len(files) == 263
    assert all(s.keypoints_xy.shape == (12, 2) for s in samples)


def test_mapped_lite0_weights_recognise_a_tiger_frame_as_imagenet_tiger() -> None:
    model = timm.create_model("efficientnet_lite0", pretrained=False)
    state = efficientnet_lite0_package_state()
    assert state is not None
    model.load_state_dict(state)
    canvas, _ = letterbox(load_image(TIGER / "images" / "Frame_0.jpg"), 224)
    x = torch.from_numpy(canvas.copy()).permute(2, 0, 1)[None].float() / 255
    x = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(
        1, 3, 1, 1
    )
    with torch.no_grad():
        assert int(model.eval()(x).argmax()) == IMAGENET_TIGER
    assert np.isfinite(x.numpy()).all()
