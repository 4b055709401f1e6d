"""Time from "retrain" to predictions visible, through the real product.

A project of 50 labeled tiger frames (frames 0-199) + 1000 unlabeled images (the 997 of
`unlabeled/` plus 3 more frames left unlabeled) + 40 labeled validation frames (200-262),
uploaded and annotated through the API; then one retraining with the worker's per-device
defaults on a real Celery worker. Prints the wall time of each phase and the validation PCK.

    .venv/bin/python bench/retrain_loop.py [--labeled 50] [--unlabeled 1000]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.worker.stack import Stack  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tiger_pose"


def frame_number(name: str) -> int:
    return int(name.rsplit("_", 1)[1].split(".")[0])


def zip_of(paths: list[Path]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for p in paths:
            zf.write(p, p.name)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labeled", type=int, default=50)
    parser.add_argument("--unlabeled", type=int, default=1000)
    parser.add_argument("--validation", type=int, default=40)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs {DATA} (see shared/data/README.md)")
    coco = json.loads((DATA / "annotations.json").read_text())
    names = coco["categories"][0]["keypoints"]
    by_image = {a["image_id"]: a for a in coco["annotations"]}
    frames = sorted(coco["images"], key=lambda i: frame_number(i["file_name"]))
    train = [f for f in frames if frame_number(f["file_name"]) < 200]
    test = [f for f in frames if frame_number(f["file_name"]) >= 200][: args.validation]
    labeled = train[: args.labeled]
    pool = sorted((DATA / "unlabeled").glob("*.jpg"))
    extra = [DATA / "images" / f["file_name"] for f in train[args.labeled :]]
    unlabeled = (pool + extra)[: args.unlabeled]

    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.create(Path(tmp))
        stack.env.pop("KEYLOOP_DEVICE")
        stack.env.pop("OMP_NUM_THREADS")
        try:
            stack.start_api()
            stack.start_worker()
            schema = {
                "keypoints": [{"name": n} for n in names],
                "skeleton": [
                    [names[a - 1], names[b - 1]] for a, b in coco["categories"][0]["skeleton"]
                ],
            }
            pid = stack.api.post(
                "/projects",
                json={
                    "name": "tigers",
                    "keypoint_schema": schema,
                    "settings": {"validation_fraction": 0.0},
                },
            ).json()["id"]
            t0 = time.monotonic()
            ids: dict[str, int] = {}
            duplicates: list[str] = []
            groups = [[DATA / "images" / f["file_name"] for f in labeled + test], unlabeled]
            for group in groups:
                for start in range(0, len(group), 200):
                    r = stack.api.post(
                        f"/projects/{pid}/images",
                        timeout=300,
                        files=[("files", ("batch.zip", zip_of(group[start : start + 200])))],
                    )
                    assert r.status_code == 201, r.text
                    ids.update({c["original_name"]: c["id"] for c in r.json()["created"]})
                    duplicates.extend(d["filename"] for d in r.json()["duplicates"])
            upload_s = time.monotonic() - t0
            # Some frames are byte-identical to others: stored once, labeled once.
            labeled = [f for f in labeled if f["file_name"] in ids]
            test = [f for f in test if f["file_name"] in ids]
            for f in labeled + test:
                image_id = ids[f["file_name"]]
                kp = by_image[f["id"]]["keypoints"]
                points = [
                    {
                        "name": n,
                        "x": kp[3 * i],
                        "y": kp[3 * i + 1],
                        "visibility": "visible" if kp[3 * i + 2] == 2 else "unlabeled",
                    }
                    if kp[3 * i + 2]
                    else {"name": n}
                    for i, n in enumerate(names)
                ]
                assert (
                    stack.api.put(
                        f"/images/{image_id}/annotation", json={"version": 0, "keypoints": points}
                    ).status_code
                    == 200
                )
                if f in test:
                    stack.api.patch(f"/images/{image_id}", json={"split": "validation"})
            t1 = time.monotonic()
            job = stack.api.post(f"/projects/{pid}/training-jobs", json={}).json()
            job = stack.wait_for_job(job["id"], {"succeeded", "failed", "cancelled"}, 3 * 3600)
            total_s = time.monotonic() - t1
            assert job["state"] == "succeeded", job["error"]
            version = stack.api.get(f"/projects/{pid}/model-versions").json()[0]
            history = job["progress"]["history"]
            phases = {e["phase"]: e for e in history if "phase" in e}
            print(f"duplicates skipped: {len(duplicates)}")
            print(
                f"images: {len(labeled)} labeled + {len(unlabeled)} unlabeled train, "
                f"{len(test)} labeled validation; upload {upload_s:.0f}s"
            )
            print(
                f"device: {phases['training'].get('device')}, backbone {version['backbone']}, "
                f"input {version['config']['model']['input_size']}, "
                f"steps {version['metrics']['steps']} ({version['metrics']['train_status']})"
            )
            started = {e["phase"]: e["elapsed_s"] for e in history if "phase" in e}
            print("phase start times (s after the job started):", started)
            print(f"retrain -> predictions visible: {total_s / 60:.1f} min")
            print(f"validation PCK@0.1: {version['metrics']['pck']:.3f}")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
