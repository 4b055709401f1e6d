"""Frame extraction through the job code path: a 1-minute 1080p30 H.264 video to 50 frames,
`uniform` and `kmeans` (what `keyloop.extract_frames` runs on the light worker: pick, decode,
PNG-encode, store blobs, add images in one transaction).

    .venv/bin/python bench/video_extract.py [--seconds 60] [--count 50]

The video is synthesised once with PyAV into bench/out/. One JSON line per method is appended
to bench/results/video_extract.jsonl. The CI machine has 2 shared cores: figures are noisy.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from video_common import OUT, keyloop_data_dir, project_with_video, record, synth_video


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--methods", nargs="+", default=["uniform", "kmeans"])
    args = parser.parse_args()
    started = time.monotonic()
    video = synth_video(OUT / f"synthetic-1080p-{args.seconds:g}s.mp4", args.seconds, 1920, 1080)
    print(f"video ready in {time.monotonic() - started:.1f} s: {video}")
    keyloop_data_dir()

    from backend.config import get_settings
    from backend.db.session import session_scope
    from backend.models import Job, JobState, Project
    from backend.schemas.job_options import ExtractFramesOptions
    from backend.services.jobs import create_job
    from worker.frame_extraction import run_extract_job

    project_id, video_id = project_with_video(video, {"keypoints": [{"name": "nose"}]})
    settings = get_settings()
    for method in args.methods:
        with session_scope(settings.database_url) as session:
            project = session.get_one(Project, project_id)
            options = ExtractFramesOptions(
                video_id=video_id, method=method, count=args.count,
                start_frame=0, end_frame=round(args.seconds * 30),
            )  # fmt: skip
            job_id = create_job(session, project, options, None).id
        t0, cpu0 = time.monotonic(), _cpu_s()
        outcome = run_extract_job(job_id)
        elapsed, cpu = time.monotonic() - t0, _cpu_s() - cpu0
        with session_scope(settings.database_url) as session:
            job = session.get_one(Job, job_id)
            assert job.state == JobState.succeeded, job.error
            report = job.progress["report"]
        record(
            "video_extract",
            {
                "bench": "video_extract", "method": method, "video": "1920x1080 30fps h264",
                "seconds": args.seconds, "requested": args.count, "created": report["created"],
                "wall_s": round(elapsed, 2), "cpu_s": round(cpu, 2), "outcome": outcome,
            },
        )  # fmt: skip


def _cpu_s() -> float:
    """CPU seconds of this process, all threads: on a shared machine the wall time mostly
    measures the neighbours; this is the work itself."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
