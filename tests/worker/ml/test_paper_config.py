"""bench/paper_table1.py: the paper's configuration, smoke-tested on CPU at toy size."""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.worker.ml.test_cli import write_coco
from worker.ml.data import LabeledSample, UnlabeledSample

ROOT = Path(__file__).resolve().parents[3]


def load_paper_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "paper_table1", ROOT / "bench" / "paper_table1.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_paper_config_is_hrnet_w32_at_256_adam_1e4_with_the_papers_ti(tmp_path: Path) -> None:
    bench = load_paper_bench()
    args = bench.argparse.Namespace(
        input_size=256, max_steps=100_000, batch_size=16, eval_interval=500, patience=10,
        pretrained=None, ti_mean=False, ti_unit=False, device="cuda",
    )  # fmt: skip
    config = bench.paper_config(args, "semi", 0)
    assert (config.model.backbone, config.model.input_size, config.lr) == ("hrnet_w32", 256, 1e-4)
    assert config.loss.lambdas == (1e3, 0.5, 1e2, 1e2)
    assert (config.loss.ti_reduction, config.loss.ti_normalize) == ("sum", False)
    assert config.labeled_per_batch == 8 and config.max_minutes is None
    assert config.patience == 10 and config.eval_interval == 500


@pytest.mark.slow  # HRNet-W32, two steps on the CPU
def test_paper_command_runs_two_steps_on_cpu_and_prints_a_table_row(
    tmp_path: Path, dots: tuple[list[LabeledSample], list[UnlabeledSample], list[LabeledSample]],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    bench = load_paper_bench()
    labeled, _, validation = dots
    images = tmp_path / "images"
    splits = {"train": labeled[:8], "val": validation[:3], "test": validation[3:6]}
    argv = []
    for split, samples in splits.items():
        (images / split).mkdir(parents=True)
        coco = write_coco(images / split, samples)
        data = json.loads(coco.read_text())
        for image in data["images"]:  # one images root for every split's file_names
            image["file_name"] = f"{split}/{image['file_name']}"
        path = tmp_path / f"keypoint_{split}.json"
        path.write_text(json.dumps(data))
        argv += [f"--{split}", str(path)]
    rows = bench.main([*argv,
        "--images", str(images), "--fractions", "0.5", "--seeds", "0", "--input-size", "64",
        "--batch-size", "4", "--max-steps", "2", "--eval-interval", "1", "--pretrained", "none",
        "--device", "cpu", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "rows.jsonl"),
    ])  # fmt: skip
    assert len(rows) == 1 and rows[0]["steps"] == 2 and rows[0]["backbone"] == "hrnet_w32"
    assert 0 <= rows[0]["test_pck10"] <= 1 and rows[0]["normalizer"] == "bbox"
    out = capsys.readouterr().out
    assert "| Method | 50% |" in out and "| Ours (SC+TE+TI) |" in out
