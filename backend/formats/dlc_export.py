"""Writing a DeepLabCut project: config.yaml + `labeled-data/<video>/CollectedData_<scorer>`.

The layout is the one DeepLabCut's `merge_annotateddatasets` reads: for each entry of
`video_sets`, `labeled-data/<video stem>/CollectedData_<config scorer>.h5` (a "fixed"
pandas frame, columns scorer/bodyparts/coords, rows labeled-data/<video>/<file>), with the
CSV beside it. So a lab exports with its own scorer name and merges the frames back.
Occluded points are written with their coordinates: DeepLabCut has no visibility flag.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import yaml

from backend.formats.bundle import Sink
from backend.formats.common import UNLABELED, Dataset, Item, Keypoint

# DeepLabCut-only keys of a multi-animal config: an export holds one animal per image.
_MULTI_ANIMAL_KEYS = ("individuals", "uniquebodyparts", "multianimalbodyparts")


VideoSets = dict[str, tuple[str, dict[str, str]]]


def write(
    dataset: Dataset,
    sink: Sink,
    *,
    scorer: str,
    config: dict[str, Any],
    empty_video: str,
    videos: VideoSets | None = None,
) -> None:
    """Items' `file_name` must already be `labeled-data/<video>/<frame>`; the caller writes
    the frames there. `config` is the imported config.yaml (or {}): its fields are kept,
    only the scorer, body parts, skeleton and video_sets are Keyloop's. `videos` gives the
    video_sets entry (path, crop) of folders made of a known video's frames. With no items,
    the header-only table goes to `labeled-data/<empty_video>/`, so the export still reads
    back."""
    names = dataset.keypoint_names
    annotated = [i for i in dataset.items if i.points is not None]
    folders = list(dict.fromkeys(PurePosixPath(i.file_name).parent.name for i in dataset.items))
    folders = folders or [empty_video]
    document = _config(dataset, scorer, folders, config, videos or {})
    sink.write_bytes("config.yaml", yaml.safe_dump(document, sort_keys=False).encode())
    for folder in folders:
        rows = [i for i in annotated if PurePosixPath(i.file_name).parent.name == folder]
        base = f"labeled-data/{folder}/CollectedData_{scorer}"
        sink.write_bytes(f"{base}.csv", _csv(rows, names, scorer))
        h5 = _h5_bytes(rows, names, scorer)
        if h5 is not None:
            sink.write_bytes(f"{base}.h5", h5)


def _csv(items: list[Item], names: list[str], scorer: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["scorer", "", "", *[scorer] * (2 * len(names))])
    writer.writerow(["bodyparts", "", "", *[n for n in names for _ in "xy"]])
    writer.writerow(["coords", "", "", *["x", "y"] * len(names)])
    for item in items:
        writer.writerow([*item.file_name.split("/", 2), *_cells(item.points or [])])
    return out.getvalue().encode()


def _cells(points: Iterable[Keypoint]) -> list[str]:
    cells: list[str] = []
    for p in points:
        cells += [repr(p.x), repr(p.y)] if p != UNLABELED and p.x is not None else ["", ""]
    return cells


def _h5_bytes(items: list[Item], names: list[str], scorer: str) -> bytes | None:
    try:
        import pandas as pd
        import tables  # type: ignore[import-untyped]  # noqa: F401  (to_hdf needs it)
    except ImportError:  # pragma: no cover - the CSV alone is enough for DeepLabCut
        return None
    columns = pd.MultiIndex.from_product(
        [[scorer], names, ["x", "y"]], names=["scorer", "bodyparts", "coords"]
    )
    paths = [i.file_name.split("/", 2) for i in items]
    index = pd.MultiIndex.from_arrays([[p[k] for p in paths] for k in range(3)])
    data = [[c for p in i.points or [] for c in (p.x, p.y)] for i in items]
    df = pd.DataFrame(data, columns=columns, index=index, dtype="float64")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.h5"
        df.to_hdf(path, key="df_with_missing", mode="w")
        return path.read_bytes()


def _video_stem(key: str) -> str:
    return (PureWindowsPath(key) if "\\" in key else PurePosixPath(key)).stem


def _config(
    dataset: Dataset, scorer: str, folders: list[str], imported: dict[str, Any], videos: VideoSets
) -> dict[str, Any]:
    # A folder of a Keyloop video's frames names that video; imported entries keep their
    # video path and crop; other folders get DeepLabCut's default.
    known = imported.get("video_sets")
    known = known if isinstance(known, dict) else {}
    by_stem = {_video_stem(str(k)): (k, v) for k, v in known.items()} | videos
    video_sets = dict(by_stem.get(f, (f"videos/{f}.mp4", {"crop": "0, 0, 0, 0"})) for f in folders)
    owned = {
        "scorer": scorer,
        "multianimalproject": False,
        "video_sets": video_sets,
        "bodyparts": dataset.keypoint_names,
        "skeleton": [[a, b] for a, b in dataset.skeleton],
    }
    if imported:
        config = {k: v for k, v in imported.items() if k not in _MULTI_ANIMAL_KEYS}
        return {**config, **owned}
    # The keys DeepLabCut's own create_new_project writes, so its tools accept the file.
    # DeepLabCut sets project_path itself when it opens a config from another folder.
    return {
        "Task": dataset.name,
        "scorer": scorer,
        "date": datetime.now(UTC).strftime("%b%d"),
        "multianimalproject": False,
        "identity": None,
        "project_path": "",
        "video_sets": video_sets,
        "bodyparts": dataset.keypoint_names,
        "start": 0,
        "stop": 1,
        "numframes2pick": 20,
        "skeleton": owned["skeleton"],
        "skeleton_color": "black",
        "pcutoff": 0.6,
        "dotsize": 12,
        "alphavalue": 0.7,
        "colormap": "rainbow",
        "TrainingFraction": [0.95],
        "iteration": 0,
        "default_net_type": "resnet_50",
        "default_augmenter": "default",
        "snapshotindex": -1,
        "batch_size": 8,
        "cropping": False,
        "x1": 0,
        "x2": 640,
        "y1": 277,
        "y2": 624,
        "corner2move2": [50, 50],
        "move2corner": True,
    }
