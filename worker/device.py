"""Which device a worker computes on: CUDA when present, else the CPU."""

from __future__ import annotations

import os

import torch


def pick_device() -> str:
    forced = os.environ.get("KEYLOOP_DEVICE")
    if forced:
        return forced
    return "cuda" if torch.cuda.is_available() else "cpu"
