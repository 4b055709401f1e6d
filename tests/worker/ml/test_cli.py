import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from worker.cli import ml_app
from worker.ml.data import LabeledSample


def write_coco(folder: Path, samples: list[LabeledSample]) -> Path:
    images, annotations = [], []
    for i, sample in enumerate(samples, start=1):
        assert not isinstance(sample.image, (str, Path))
        Image.fromarray(sample.image).save(folder / f"dots_{i}.png")
        height, width = sample.image.shape[:2]
        images.append({"id": i, "file_name": f"dots_{i}.png", "width": width, "height": height})
        flat = [v for (x, y), vis in zip(sample.keypoints_xy, sample.visibility, strict=True)
                for v in (float(x), float(y), int(vis))]  # fmt: skip
        annotations.append({"id": i, "image_id": i, "category_id": 1, "keypoints": flat,
                            "num_keypoints": 3, "bbox": [0, 0, width, height]})  # fmt: skip
    category = {"id": 1, "name": "dots", "keypoints": ["red", "green", "blue"], "skeleton": []}
    path = folder / "annotations.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": [category]}))  # fmt: skip
    return path


@pytest.mark.slow
def test_train_evaluate_predict_from_a_coco_file(
    dots: tuple[list[LabeledSample], object, object], tmp_path: Path
) -> None:
    coco = write_coco(tmp_path, dots[0][:8])
    runner = CliRunner()
    out = tmp_path / "run"
    trained = runner.invoke(ml_app, [
        "train", str(coco), str(tmp_path), "--out", str(out), "--labeled-fraction", "0.5",
        "--input-size", "64", "--batch-size", "4", "--max-steps", "2", "--eval-interval", "1",
        "--device", "cpu",
    ])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "3 labeled, 3 unlabeled, 2 validation" in trained.output
    assert (out / "best.pt").exists()

    evaluated = runner.invoke(ml_app, ["evaluate", str(out / "best.pt"), str(coco), str(tmp_path)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "PCK@0.1" in evaluated.output and "green" in evaluated.output

    results = tmp_path / "predictions.json"
    predicted = runner.invoke(
        ml_app, ["predict", str(out / "best.pt"), str(tmp_path), "--out", str(results)]
    )
    assert predicted.exit_code == 0, predicted.output
    rows = json.loads(results.read_text())
    assert len(rows) == 8
    assert len(rows[0]["keypoints"]) == 9 and len(rows[0]["keypoint_scores"]) == 3


def test_importing_the_cli_does_not_import_torch() -> None:
    code = "import sys, worker.cli; assert 'torch' not in sys.modules, 'torch imported'"
    root = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_train_takes_the_four_loss_weights_and_refuses_a_negative_one(tmp_path: Path) -> None:
    # The weights reach LossConfig before any data is read: a negative one is refused there.
    args = ["train", str(tmp_path / "none.json"), str(tmp_path), "--device", "cpu", "--lambdas"]
    refused = CliRunner().invoke(ml_app, [*args, "1000", "0.5", "100", "-1"])
    assert refused.exit_code == 2 and "loss weights must be >= 0" in refused.output
    short = CliRunner().invoke(ml_app, [*args, "1000", "0.5"])
    assert short.exit_code == 2 and "requires 4 arguments" in short.output
