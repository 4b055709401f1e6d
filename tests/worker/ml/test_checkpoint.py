"""Checkpoints are read without running code from the file."""

from pathlib import Path

import pytest
import torch

from worker.ml.checkpoint import FORMAT, load_checkpoint, save_checkpoint


class _Payload:
    """Unpickling this would create `marker`: what a crafted `.pt` could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_refuses_a_checkpoint_that_would_run_code_and_runs_none(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    crafted = tmp_path / "model.pt"
    torch.save({"format": FORMAT, "model": {}, "evil": _Payload(marker)}, crafted)
    with pytest.raises(ValueError, match=r"model.pt: not a keyloop-keypoint-model/1 checkpoint"):
        load_checkpoint(crafted)
    assert not marker.exists()


def test_reads_back_what_it_saved(tmp_path: Path) -> None:
    payload = {
        "model": {"w": torch.ones(2)},
        "generator": torch.Generator().manual_seed(1).get_state(),
        "labeled_order": [2, 0, 1],
        "config": {"lr": 0.001, "model": {"input_size": 64}},
        "history": [{"step": 1, "val_pck": 0.5}],
        "metrics": {},
        "weights_source": None,
    }
    save_checkpoint(tmp_path / "last.pt", payload)
    loaded = load_checkpoint(tmp_path / "last.pt")
    assert loaded["format"] == FORMAT
    assert torch.equal(loaded["model"]["w"], torch.ones(2))
    assert loaded["labeled_order"] == [2, 0, 1] and loaded["history"] == payload["history"]
