"""DeepLabCut and Lightning Pose projects: labeled frames + `CollectedData*` tables.

Layouts read:
- DeepLabCut: `config.yaml` + `labeled-data/<video>/CollectedData_<scorer>.csv` (or `.h5`,
  read without pickle by `dlc_h5`) + the frames beside it.
- Lightning Pose: `CollectedData.csv` at the project root (one per view in multi-view
  projects: `CollectedData_<view>.csv`) naming `labeled-data/<video>/imgNNN.png`; no
  config.yaml. Without a config the schema comes from the tables' headers, the skeleton is
  empty.
- Multi-animal DeepLabCut (an `individuals` header row): Keyloop holds one animal per image,
  so each frame keeps one individual (`label` names it; by default the first one labeled in
  that frame) plus the unique body parts; the report says how many were left out.

DeepLabCut has no visibility flag: an empty cell is unlabeled, coordinates are visible.
Images are named without the `labeled-data/` prefix (`reachingvideo1/img005.png`), so an
export puts them back in their video's folder. Labeled frames whose image is not in the
upload are skipped and images under the same folders without a row are imported
unlabeled; the report lists both. A folder whose video is in the upload (`videos/<stem>.mp4`,
`dlc_videos`) is named in `Dataset.videos` and its images claim the frames their names give
(`Item.video_frame`), for the import to attach the video and link the frames.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

import yaml

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import (
    UNLABELED,
    UNNAMED,
    Dataset,
    Item,
    check_names,
    check_skeleton,
    labeled,
)
from backend.formats.dlc_table import UNIQUE, Row, Table, from_csv, from_h5
from backend.formats.dlc_videos import claim_frames

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MAX_CONFIG_CHARS = 100_000  # a config.yaml kept for export; real ones are ~2 KB
_LISTED = 10  # file names a note lists before it says "and N more"


def read(bundle: Bundle, label: str | None = None, limit: int = 1 << 30) -> Dataset:
    config_name, config = _config(bundle, limit)
    tables = [_table(bundle, name, limit) for name in _table_files(bundle)]
    names, skeleton = _schema(config_name, config, tables)
    anchor = config_name or tables[0].source
    dataset = Dataset(names, skeleton, name=str(config.get("Task") or UNNAMED), anchor=anchor)
    scorer = str(config.get("scorer") or tables[0].scorer or "")
    dataset.metadata = {"dlc": {"scorer": scorer, "config": _kept(config)}}
    for table in tables:
        _add_rows(dataset, table, label, config_name or table.source)
    places = _match_images(bundle, dataset)
    dataset.videos = claim_frames(bundle, config, places, dataset.items)
    return dataset


def _config(bundle: Bundle, limit: int) -> tuple[str, dict[str, Any]]:
    found = sorted((n for n in bundle.names() if PurePosixPath(n).name == "config.yaml"), key=len)
    if not found:
        return "", {}
    name = found[0]
    try:
        config = yaml.safe_load(bundle.read(name, limit))
    except yaml.YAMLError as exc:
        raise BadInput(f"{name}: not valid YAML ({exc})") from exc
    if not isinstance(config, dict):
        raise BadInput(f"{name}: expected a mapping with bodyparts")
    return name, config


def _table_files(bundle: Bundle) -> list[str]:
    """One table per (folder, stem), the CSV preferred: DeepLabCut writes both. The merged
    copies DeepLabCut keeps under training-datasets/ repeat labeled-data's rows: skipped."""
    found = bundle.with_suffix(".csv", ".h5")
    labeled = [n for n in found if "training-datasets" not in PurePosixPath(n).parts]
    candidates = labeled or found
    named = [n for n in candidates if PurePosixPath(n).name.startswith("CollectedData")]
    chosen: dict[str, str] = {}
    for name in sorted(named or candidates):
        key = str(PurePosixPath(name).with_suffix(""))
        if key not in chosen or name.endswith(".csv"):
            chosen[key] = name
    if not chosen:
        raise BadInput(
            "DeepLabCut import found no labeled-data/*/CollectedData_*.csv or .h5 "
            "(nor a Lightning Pose CollectedData.csv)"
        )
    return sorted(chosen.values())


def _table(bundle: Bundle, name: str, limit: int) -> Table:
    data = bundle.read(name, limit)
    return from_csv(name, data) if name.endswith(".csv") else from_h5(name, data)


def _schema(
    config_name: str, config: dict[str, Any], tables: list[Table]
) -> tuple[list[str], list[tuple[str, str]]]:
    """The body parts and skeleton: config.yaml's, or the tables' when there is none."""
    if config_name:
        raw: Any
        if config.get("multianimalproject"):
            raw = [
                *(config.get("multianimalbodyparts") or []),
                *(config.get("uniquebodyparts") or []),
            ]
        else:
            raw = config.get("bodyparts")
        if not isinstance(raw, list) or not raw:
            raise BadInput(f"{config_name}: 'bodyparts' must be a list of names")
        names = check_names(config_name, raw)
        skeleton = _skeleton(config_name, config.get("skeleton"))
        check_skeleton(config_name, names, skeleton)
        return names, skeleton
    parts = [p for table in tables for p in table.bodyparts]
    return check_names(tables[0].source, list(dict.fromkeys(parts))), []


def _skeleton(where: str, raw: Any) -> list[tuple[str, str]]:
    edges = []
    for edge in raw or []:
        if not (isinstance(edge, list) and len(edge) == 2):
            raise BadInput(f"{where}: skeleton entry {edge} is not a pair of body parts")
        edges.append((str(edge[0]).strip(), str(edge[1]).strip()))
    return edges


def _kept(config: dict[str, Any]) -> dict[str, Any]:
    """config.yaml as JSON data (YAML dates become text), for the export to start from."""
    text = json.dumps(config, default=str)
    return json.loads(text) if len(text) <= MAX_CONFIG_CHARS else {}


def _add_rows(dataset: Dataset, table: Table, label: str | None, schema_from: str) -> None:
    names = dataset.keypoint_names
    unknown = sorted(set(table.bodyparts) - set(names))
    if unknown:
        raise BadInput(f"{table.source}: body parts {unknown} are not in {schema_from}'s bodyparts")
    animals = table.individuals
    if label is not None and animals and label not in animals:
        raise BadInput(f"{table.source}: no individual named {label!r}; there are {animals}")
    unique = {c.bodypart for c in table.columns if c.individual == UNIQUE}
    left_out: Counter[str] = Counter()
    for row in table.rows:
        chosen = _individual(table, row, names, label, unique)
        points = []
        for part in names:
            xy = table.point(row, UNIQUE if part in unique else chosen, part)
            points.append(labeled(*xy, "visible") if xy else UNLABELED)
        for other in animals:
            if other != chosen and any(table.point(row, other, p) for p in names):
                left_out[other] += 1
        name = _frame_name(row.path)
        dataset.items.append(Item(row.path, points, origin=f"{row.origin} ({row.path})", name=name))
    if left_out:
        counts = ", ".join(f"{who} in {n}" for who, n in sorted(left_out.items()))
        dataset.notes.append(
            f"{table.source}: Keyloop keeps one animal per image; {left_out.total()} other "
            f"labeled animals were left out ({counts} frames)"
        )


def _frame_name(path: str) -> str:
    """The image's name: its path below labeled-data/ (`reachingvideo1/img005.png`), also
    when the table holds the labeller's absolute path."""
    parts = path.replace("\\", "/").split("/")
    if "labeled-data" in parts[:-1]:
        last = len(parts) - 1 - parts[::-1].index("labeled-data")
        return "/".join(parts[last + 1 :])
    return path


def _individual(
    table: Table, row: Row, names: list[str], label: str | None, unique: set[str]
) -> str:
    """The animal a frame keeps: the one asked for, else the first one labeled there."""
    animals = table.individuals
    if not animals:
        return ""
    if label is not None:
        return label
    parts = [p for p in names if p not in unique]
    return next((a for a in animals if any(table.point(row, a, p) for p in parts)), animals[0])


def _match_images(bundle: Bundle, dataset: Dataset) -> dict[str, str]:
    """Drop labeled frames whose image is missing, add the folders' unlabeled images. Returns
    {folder of the images' names (`v1`): that folder in the upload (`labeled-data/v1`)}."""
    kept: list[Item] = []
    missing: list[str] = []
    used: set[str] = set()
    places: dict[str, str] = {}
    for item in dataset.items:
        found = bundle.resolve(item.file_name, dataset.anchor)
        if found is None:
            missing.append(item.file_name)
            continue
        used.add(found)
        kept.append(item)
        folder = str(PurePosixPath(item.name or item.file_name).parent)
        places.setdefault(folder, str(PurePosixPath(found).parent))
    if not kept and dataset.items:
        raise BadInput(
            f"{dataset.anchor}: none of the {len(dataset.items)} labeled frames' images is in "
            f"the upload (the first is {dataset.items[0].file_name!r}); upload the project "
            "folder with its labeled-data"
        )
    folders = {str(PurePosixPath(n).parent) for n in used}
    extra = sorted(
        n
        for n in bundle.with_suffix(*IMAGE_SUFFIXES)
        if n not in used and str(PurePosixPath(n).parent) in folders
    )
    for n in extra:
        parts = PurePosixPath(n).parts
        name = "/".join(parts[-2:]) if len(parts) > 1 else n
        kept.append(Item(n, None, origin=f"{n} (an image without a row)", name=name))
    dataset.items = kept
    if missing:
        dataset.notes.append(f"labeled frames without their image, skipped: {_listed(missing)}")
    if extra:
        dataset.notes.append(f"images without a labeled row, imported unlabeled: {_listed(extra)}")
    return places


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return f"{len(names)} ({', '.join(names[:_LISTED])}{more})"
