"""Whole-video prediction throughput on CPU through the job code path (`keyloop.predict_video`):
decode every frame, predict in batches with the default model the worker ships, append the
results, draw and encode the labeled preview, then write CSV/HDF5/SLP/JSON.

    .venv/bin/python bench/video_predict.py [--seconds 10] [--width 1280 --height 720]

The model is the worker's CPU default (`worker.training_run.build_config({}, "cpu", …)`:
EfficientNet-Lite0 at 192 px), untrained (weights do not change the cost), 12 keypoints.
Runs with and without the preview; one JSON line each is appended to
bench/results/video_predict.jsonl. The CI machine has 2 shared cores: figures are noisy.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from video_common import OUT, keyloop_data_dir, project_with_video, record, synth_video

KEYPOINTS = [f"k{i}" for i in range(12)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    name = f"synthetic-{args.width}x{args.height}-{args.seconds:g}s.mp4"
    video = synth_video(OUT / name, args.seconds, args.width, args.height)
    data = keyloop_data_dir()

    from backend.config import get_settings
    from backend.db.session import session_scope
    from backend.models import Job, JobState, ModelVersion, Project
    from backend.schemas.job_options import PredictVideoOptions, TrainOptions
    from backend.services.jobs import create_job, fresh_job_dir
    from worker.ml.checkpoint import save_checkpoint
    from worker.ml.model import KeypointModel
    from worker.training_run import build_config
    from worker.video_predicting import run_predict_video_job

    schema = {
        "keypoints": [{"name": n} for n in KEYPOINTS],
        "skeleton": [[a, b] for a, b in itertools.pairwise(KEYPOINTS)],
    }
    project_id, video_id = project_with_video(video, schema)
    config = build_config(TrainOptions(), "cpu", has_unlabeled=False)
    config = replace(config, model=replace(config.model, pretrained="none"))
    folder = data / "version"
    model = KeypointModel(config.model, len(KEYPOINTS))
    save_checkpoint(
        folder / "model.pt",
        {"config": config.to_dict(), "keypoint_names": KEYPOINTS, "flip_pairs": [],
         "model": model.state_dict()},
    )  # fmt: skip
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        version = ModelVersion(
            project_id=project_id, backbone=config.model.backbone, config={}, metrics={},
            labeled_count=0, unlabeled_count=0, labels_snapshot={}, path=str(folder),
            is_active=True,
        )  # fmt: skip
        session.add(version)
        session.flush()
        version_id = version.id
    for preview in (False, True):
        with session_scope(settings.database_url) as session:
            project = session.get_one(Project, project_id)
            options = PredictVideoOptions(
                video_id=video_id,
                model_version_id=version_id,
                every_nth=1,
                preview=preview,
                video_stem=video.stem,
            )
            job_id = create_job(session, project, options, None).id
        fresh_job_dir(settings, job_id)
        t0, cpu0 = time.monotonic(), _cpu_s()
        run_predict_video_job(job_id)
        elapsed, cpu = time.monotonic() - t0, _cpu_s() - cpu0
        with session_scope(settings.database_url) as session:
            job = session.get_one(Job, job_id)
            assert job.state == JobState.succeeded, job.error
            frames = int(job.progress["predicted"])
        record(
            "video_predict",
            {
                "bench": "video_predict", "video": f"{args.width}x{args.height} 30fps h264",
                "frames": frames, "preview": preview,
                "model": f"{config.model.backbone}@{config.model.input_size}px (CPU default)",
                "wall_s": round(elapsed, 2), "cpu_s": round(cpu, 2),
                "frames_per_s": round(frames / elapsed, 2),
            },
        )  # fmt: skip


def _cpu_s() -> float:
    """CPU seconds of this process, all threads: on a shared machine the wall time mostly
    measures the neighbours; this is the work itself."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
