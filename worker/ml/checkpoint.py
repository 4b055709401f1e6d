"""Self-describing checkpoints: weights + typed config + schema + metrics + step, and for a
run's `last.pt` the optimizer, scaler and RNG state it resumes from (`train.py`).

Written atomically (temporary file in the same directory, then `os.replace`), so a crash or a
cancelled job never leaves a truncated file where a reader expects a model.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "keyloop-keypoint-model/1"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save({"format": FORMAT, **payload}, file)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """The payload, read without running code: `weights_only=True` lets torch's unpickler build
    tensors and plain containers only, so a crafted `.pt` (a checkpoint given to
    `keyloop-ml predict`, a model folder copied between machines) cannot execute anything.
    Everything `save_checkpoint` writes (state dicts, RNG state tensors, lists of ints,
    the config as a dict) is of those kinds."""
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path}: not a {FORMAT} checkpoint ({exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} checkpoint")
    return payload
