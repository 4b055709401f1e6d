"""A video prediction's result files, written from its `frames.jsonl` when the job ends.

- `predictions.csv` / `.h5`: DeepLabCut's analyze_videos layout, columns
  (scorer, bodyparts, coords) with coords x, y, likelihood, one row per predicted frame,
  indexed by frame number; the HDF5 under key `df_with_missing` (pandas table format), as
  DeepLabCut writes it. A keypoint the model predates is NaN.
- `predictions.slp`: SLEAP labels backed by the video (its file name, no frames embedded),
  one `PredictedInstance` per frame with per-point scores and the mean as instance score.
- `predictions.json`: the same numbers with names, for scripts.

Each file is written under a temporary name and renamed, so a download never sees half of one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from backend.services.predict_video_jobs import FRAMES_FILE, RESULT_FILES


@dataclass(frozen=True)
class VideoMeta:
    name: str
    fps: float
    width: int
    height: int
    frame_count: int


def frame_rows(folder: Path) -> Iterator[dict[str, Any]]:
    with (folder / FRAMES_FILE).open() as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _arrays(folder: Path, k: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(frame indices (N,), points (N, K, 3) as x, y, confidence; NaN where missing)."""
    rows = list(frame_rows(folder))
    indices = np.array([r["frame_index"] for r in rows], dtype=np.int64)
    points = np.full((len(rows), k, 3), np.nan, dtype=np.float64)
    for n, row in enumerate(rows):
        for i, p in enumerate(row["keypoints"][:k]):
            if p["x"] is not None:
                confidence = p["confidence"] if p["confidence"] is not None else np.nan
                points[n, i] = (p["x"], p["y"], confidence)
    return indices, points


def write_results(
    folder: Path,
    names: list[str],
    skeleton: list[tuple[str, str]],
    video: VideoMeta,
    scorer: str,
) -> None:
    indices, points = _arrays(folder, len(names))
    _write_dlc(folder, names, indices, points, scorer)
    _write_slp(folder, names, skeleton, indices, points, video)
    _write_json(folder, names, indices, points, video, scorer)


def _target(folder: Path, fmt: str) -> tuple[Path, Path]:
    final = folder / RESULT_FILES[fmt][0]
    return final, final.with_name(f".tmp-{final.name}")


def _write_dlc(
    folder: Path,
    names: list[str],
    indices: np.ndarray[Any, Any],
    points: np.ndarray[Any, Any],
    scorer: str,
) -> None:
    import pandas as pd

    columns = pd.MultiIndex.from_product(
        [[scorer], names, ["x", "y", "likelihood"]], names=["scorer", "bodyparts", "coords"]
    )
    frame = pd.DataFrame(points.reshape(len(indices), -1), columns=columns, index=indices)
    final, tmp = _target(folder, "csv")
    frame.to_csv(tmp)
    os.replace(tmp, final)
    final, tmp = _target(folder, "h5")
    frame.to_hdf(tmp, key="df_with_missing", format="table", mode="w")
    os.replace(tmp, final)


def _write_slp(
    folder: Path,
    names: list[str],
    skeleton: list[tuple[str, str]],
    indices: np.ndarray[Any, Any],
    points: np.ndarray[Any, Any],
    video: VideoMeta,
) -> None:
    import sleap_io as sio  # type: ignore[import-untyped]

    nodes = set(names)
    edges = [(a, b) for a, b in skeleton if a in nodes and b in nodes]
    sk = sio.Skeleton(list(names), edges=edges)  # (it turns the list it is given into Nodes)
    # Backed by the video's file name: SLEAP finds the video beside the .slp when opened.
    sleap_video = sio.Video(filename=video.name, open_backend=False)
    sleap_video.backend_metadata["shape"] = (video.frame_count, video.height, video.width, 3)
    sleap_video.backend_metadata["fps"] = video.fps
    frames = []
    for frame_index, pts in zip(indices.tolist(), points, strict=True):
        scores = np.nan_to_num(pts[:, 2], nan=0.0)
        visible = np.isfinite(pts[:, 0])
        instance = sio.PredictedInstance.from_numpy(
            points_data=pts[:, :2],
            skeleton=sk,
            point_scores=scores,
            score=float(scores[visible].mean()) if visible.any() else 0.0,
        )
        frames.append(
            sio.LabeledFrame(video=sleap_video, frame_idx=int(frame_index), instances=[instance])
        )
    labels = sio.Labels(labeled_frames=frames, videos=[sleap_video], skeletons=[sk])
    final, tmp = _target(folder, "slp")
    # sleap-io picks the writer by suffix.
    tmp_slp = tmp.with_name(tmp.name + ".slp")
    sio.save_slp(labels, str(tmp_slp), embed=False, verbose=False)
    os.replace(tmp_slp, final)


def _write_json(
    folder: Path,
    names: list[str],
    indices: np.ndarray[Any, Any],
    points: np.ndarray[Any, Any],
    video: VideoMeta,
    scorer: str,
) -> None:
    def point(p: np.ndarray[Any, Any]) -> dict[str, float | None]:
        if not np.isfinite(p[0]):
            return {"x": None, "y": None, "confidence": None}
        return {"x": float(p[0]), "y": float(p[1]), "confidence": float(p[2])}

    document = {
        "scorer": scorer,
        "video": {
            "name": video.name,
            "fps": video.fps,
            "width": video.width,
            "height": video.height,
            "frame_count": video.frame_count,
        },
        "keypoints": names,
        "frames": [
            {
                "frame_index": int(i),
                "time_s": int(i) / video.fps,
                "points": {n: point(p) for n, p in zip(names, pts, strict=True)},
            }
            for i, pts in zip(indices.tolist(), points, strict=True)
        ],
    }
    final, tmp = _target(folder, "json")
    tmp.write_text(json.dumps(document))
    os.replace(tmp, final)
