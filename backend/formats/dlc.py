"""DeepLabCut single-animal projects: `config.yaml` + `labeled-data/<video>/CollectedData_<scorer>`.

DeepLabCut has no visibility flag: a labeled body part has coordinates, a missing one has
empty cells (NaN in the .h5). So an empty cell reads as unlabeled, any coordinates read as
visible, and on export occluded points are written with their coordinates (they become
visible in DeepLabCut: the occluded flag is lost). The CSV is read where present (no pandas
needed); the .h5 only when a folder has no CSV. Multi-animal projects are refused.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from backend.errors import BadInput
from backend.formats.bundle import Bundle, Sink
from backend.formats.common import (
    UNLABELED,
    Dataset,
    Item,
    Keypoint,
    check_names,
    check_skeleton,
    labeled,
    to_float,
)


def read(bundle: Bundle, limit: int = 1 << 30) -> Dataset:
    configs = sorted((n for n in bundle.names() if PurePosixPath(n).name == "config.yaml"), key=len)
    if not configs:
        raise BadInput("DeepLabCut import needs the project's config.yaml")
    config_name = configs[0]
    try:
        config = yaml.safe_load(bundle.read(config_name, limit))
    except yaml.YAMLError as exc:
        raise BadInput(f"{config_name}: not valid YAML ({exc})") from exc
    if not isinstance(config, dict):
        raise BadInput(f"{config_name}: expected a mapping with bodyparts")
    if config.get("multianimalproject"):
        raise BadInput(f"{config_name}: multi-animal projects are not supported")
    bodyparts = config.get("bodyparts")
    if not isinstance(bodyparts, list):
        raise BadInput(f"{config_name}: 'bodyparts' must be a list of names")
    names = check_names(config_name, bodyparts)
    skeleton = _skeleton(config_name, config.get("skeleton"))
    check_skeleton(config_name, names, skeleton)
    dataset = Dataset(names, skeleton, name=str(config.get("Task") or "animal"), anchor=config_name)
    tables = [n for n in bundle.names() if PurePosixPath(n).name.startswith("CollectedData_")]
    folders = sorted({str(PurePosixPath(n).parent) for n in tables})
    if not folders:
        raise BadInput("DeepLabCut import found no labeled-data/*/CollectedData_*.csv or .h5")
    for folder in folders:
        in_folder = [n for n in tables if str(PurePosixPath(n).parent) == folder]
        csvs = [n for n in in_folder if n.endswith(".csv")]
        if csvs:
            rows = _csv_rows(csvs[0], bundle.read(csvs[0], limit))
            source = csvs[0]
        else:
            source = next(n for n in in_folder if n.endswith(".h5"))
            rows = _h5_rows(source, bundle, limit)
        for origin, path, values in rows:
            dataset.items.append(_item(origin, path, values, names))
    return dataset


def _skeleton(where: str, raw: Any) -> list[tuple[str, str]]:
    edges = []
    for edge in raw or []:
        if not (isinstance(edge, list) and len(edge) == 2):
            raise BadInput(f"{where}: skeleton entry {edge} is not a pair of body parts")
        edges.append((str(edge[0]).strip(), str(edge[1]).strip()))
    return edges


Row = tuple[str, str, dict[str, tuple[float | None, float | None]]]


def _csv_rows(name: str, data: bytes) -> list[Row]:
    try:
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadInput(f"{name}: not a readable CSV file ({exc})") from exc
    heads = [row[0] if row else "" for row in lines[:4]]
    if "individuals" in heads:
        raise BadInput(f"{name}: multi-animal CollectedData files are not supported")
    if heads[:3] != ["scorer", "bodyparts", "coords"]:
        raise BadInput(f"{name}: expected header rows scorer, bodyparts, coords; got {heads[:3]}")
    parts, coords = lines[1], lines[2]
    n_index = next((i for i in range(1, len(coords)) if coords[i]), len(coords))
    columns: dict[str, dict[str, int]] = {}
    for col in range(n_index, len(coords)):
        if coords[col] not in ("x", "y", "likelihood"):
            raise BadInput(f"{name}: column {col + 1} has coords {coords[col]!r}, not x or y")
        columns.setdefault(parts[col].strip(), {})[coords[col]] = col
    rows: list[Row] = []
    for line_no, row in enumerate(lines[3:], start=4):
        if not any(row):
            continue
        where = f"{name} row {line_no}"
        path = "/".join(p for p in row[:n_index] if p)
        values: dict[str, tuple[float | None, float | None]] = {}
        for part, cols in columns.items():
            cells = [row[cols[c]].strip() if cols.get(c, len(row)) < len(row) else "" for c in "xy"]
            empty = [c in ("", "nan", "NaN") for c in cells]
            if all(empty):
                values[part] = (None, None)
            elif any(empty):
                raise BadInput(f"{where}: {part} has only one of x and y")
            else:
                values[part] = (to_float(f"{where}, {part}", cells[0]), to_float(where, cells[1]))
        rows.append((where, path, values))
    return rows


def _h5_rows(name: str, bundle: Bundle, limit: int) -> list[Row]:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is an optional dependency
        raise BadInput(f"{name}: reading .h5 needs pandas and tables; upload the CSV") from exc
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.h5"
        path.write_bytes(bundle.read(name, limit))
        try:
            df = pd.read_hdf(path)
        except Exception as exc:  # pandas/tables raise many types for a bad file
            raise BadInput(f"{name}: not a readable DeepLabCut .h5 file ({exc})") from exc
    if not isinstance(df, pd.DataFrame) or df.columns.nlevels != 3:
        raise BadInput(f"{name}: expected columns scorer/bodyparts/coords (single animal)")
    rows: list[Row] = []
    for i, (index, series) in enumerate(df.iterrows()):
        frame = "/".join(map(str, index)) if isinstance(index, tuple) else str(index)
        values: dict[str, tuple[float | None, float | None]] = {}
        for key, value in series.items():
            _, part, coord = (str(k) for k in key)  # type: ignore[attr-defined]
            x, y = values.get(part, (None, None))
            v = None if pd.isna(value) else float(value)
            values[part] = (v, y) if coord == "x" else (x, v) if coord == "y" else (x, y)
        rows.append((f"{name} row {i + 1}", frame.replace("\\", "/"), values))
    return rows


def _item(origin: str, path: str, values: dict[str, Any], names: list[str]) -> Item:
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise BadInput(f"{origin}: body parts {unknown} are not in config.yaml's bodyparts")
    points = []
    for n in names:
        x, y = values.get(n, (None, None))
        points.append(labeled(x, y, "visible"))
    return Item(file_name=path, points=points, origin=f"{origin} ({path})")


def write(dataset: Dataset, sink: Sink, *, scorer: str, video: str) -> None:
    """Write config.yaml and labeled-data/<video>/CollectedData_<scorer>.csv (+ .h5).

    Items' `file_name` must already be `labeled-data/<video>/<frame>`; the caller writes
    the frames there."""
    sink.write_bytes(
        "config.yaml", yaml.safe_dump(_config(dataset, scorer, video), sort_keys=False).encode()
    )
    folder = f"labeled-data/{video}"
    annotated = [i for i in dataset.items if i.points is not None]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = dataset.keypoint_names
    writer.writerow(["scorer", "", "", *[scorer] * (2 * len(names))])
    writer.writerow(["bodyparts", "", "", *[n for n in names for _ in "xy"]])
    writer.writerow(["coords", "", "", *["x", "y"] * len(names)])
    for item in annotated:
        writer.writerow([*item.file_name.split("/", 2), *_cells(item.points or [])])
    sink.write_bytes(f"{folder}/CollectedData_{scorer}.csv", out.getvalue().encode())
    h5 = _h5_bytes(annotated, names, scorer)
    if h5 is not None:
        sink.write_bytes(f"{folder}/CollectedData_{scorer}.h5", h5)


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
    # From arrays, not tuples: an export with no annotated image is an empty, valid table.
    parts = [i.file_name.split("/", 2) for i in items]
    index = pd.MultiIndex.from_arrays([[p[k] for p in parts] for k in range(3)])
    data = [[c for p in i.points or [] for c in (p.x, p.y)] for i in items]
    df = pd.DataFrame(data, columns=columns, index=index, dtype="float64")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.h5"
        df.to_hdf(path, key="df_with_missing", mode="w")
        return path.read_bytes()


def _config(dataset: Dataset, scorer: str, video: str) -> dict[str, Any]:
    # The keys DeepLabCut's own create_new_project writes, so its tools accept the file.
    return {
        "Task": dataset.name,
        "scorer": scorer,
        "date": "keyloop",
        "multianimalproject": False,
        "identity": None,
        "project_path": "",
        "video_sets": {f"videos/{video}.mp4": {"crop": "0, 0, 0, 0"}},
        "bodyparts": dataset.keypoint_names,
        "start": 0,
        "stop": 1,
        "numframes2pick": 20,
        "skeleton": [[a, b] for a, b in dataset.skeleton],
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
