"""Ultralytics YOLO pose datasets: `data.yaml` + `images/<split>/*` + `labels/<split>/*.txt`.

`data.yaml` gives `kpt_shape: [K, 2 or 3]`, the classes (`names`), optionally `flip_idx` and
`kpt_names` (a list, or `{class index: [names]}` as recent Ultralytics datasets write it).
Each image's label file sits where Ultralytics looks for it: the last `images` folder of the
path replaced by `labels`, the suffix by `.txt`. One line per object:
`cls cx cy w h x1 y1 v1 ... xK yK vK`, all coordinates fractions of the displayed image's
width and height; v: 0 not labeled, 1 labeled but occluded, 2 visible (with `kpt_shape`
`[K, 2]`, a point at (0, 0) is not labeled). An image without a label file is an image
without annotation (Ultralytics' "background").

Lossy: the first object of the chosen class per image is kept (the others are counted in
the notes); boxes are not kept (the export writes the keypoints' bounding box); without
`kpt_names`, keypoints are named `kp1..kpK` or, into a project with K keypoints, taken in
the project's order. Export writes everything under the `train` split (`val` names it too,
as Ultralytics needs one), `kpt_names` and Keyloop's `skeleton`, and computes `flip_idx`
from left/right names.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

from backend.errors import BadInput
from backend.formats.bundle import Bundle, Sink
from backend.formats.common import (
    UNLABELED,
    Dataset,
    Item,
    Keypoint,
    Visibility,
    check_names,
    check_skeleton,
    labeled,
    one_line,
    to_float,
)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VISIBILITY: dict[int, Visibility] = {0: "unlabeled", 1: "occluded", 2: "visible"}


def read(
    bundle: Bundle,
    label: str | None = None,
    limit: int = 1 << 20,
    project_names: list[str] | None = None,
) -> Dataset:
    """`label` picks the class when the dataset has several; `project_names` name the
    keypoints of a file without `kpt_names`, in order, when their number matches."""
    configs = [n for n in bundle.with_suffix(".yaml", ".yml") if _is_pose_config(bundle, n, limit)]
    if len(configs) != 1:
        raise BadInput(
            f"YOLO pose import needs exactly one data.yaml with kpt_shape; found {configs}"
        )
    where = configs[0]
    config = _load_yaml(where, bundle.read(where, limit))
    count, dims = _kpt_shape(where, config.get("kpt_shape"))
    classes = _names(where, config.get("names"))
    cls = _chosen_class(where, classes, label)
    names, note = _keypoint_names(where, config.get("kpt_names"), cls, count, project_names)
    skeleton = _skeleton(where, config.get("skeleton"))
    check_skeleton(where, names, skeleton)
    dataset = Dataset(names, skeleton, name=classes.get(cls, "animal"), anchor=where)
    if note:
        dataset.notes.append(note)
    labels = set(bundle.with_suffix(".txt"))
    extra = 0
    for image in sorted(bundle.with_suffix(*IMAGE_SUFFIXES)):
        label_file = label_path(image)
        item = Item(image, None, origin=label_file, normalized=True, name=name_below_split(image))
        if label_file in labels:
            labels.discard(label_file)
            text = bundle.read(label_file, limit).decode("utf-8", "replace")
            rows = _rows(label_file, text, cls, count, dims)
            extra += max(0, len(rows) - 1)
            item.points = rows[0] if rows else None
        dataset.items.append(item)
    if extra:
        dataset.notes.append(f"{where}: {extra} further objects skipped (one animal per image)")
    orphans = sorted(n for n in labels if "/labels/" in f"/{n}")
    if orphans:
        dataset.notes.append(f"{len(orphans)} label files without an image skipped: {orphans[:3]}")
    return dataset


def name_below_split(image: str) -> str:
    """The name below `images/<split>/` (`images/train/v1/a.png` -> `v1/a.png`): the split
    is where Ultralytics keeps the file, not part of the image's name."""
    parts = image.split("/")
    if "images" in parts[:-2]:
        at = len(parts) - 1 - parts[::-1].index("images")
        if at < len(parts) - 2:
            return "/".join(parts[at + 2 :])
    return image


def label_path(image: str) -> str:
    """Where Ultralytics looks for an image's labels (`img2label_paths`)."""
    parts = image.split("/")
    if "images" in parts:
        at = len(parts) - 1 - parts[::-1].index("images")
        parts[at] = "labels"
    return str(PurePosixPath("/".join(parts)).with_suffix(".txt"))


def _skeleton(where: str, value: Any) -> list[tuple[str, str]]:
    edges = value or []
    if not isinstance(edges, list) or not all(isinstance(e, list) and len(e) == 2 for e in edges):
        raise BadInput(f"{where}: skeleton must be a list of [keypoint, keypoint] pairs")
    return [(str(a), str(b)) for a, b in edges]


def _is_pose_config(bundle: Bundle, name: str, limit: int) -> bool:
    return b"kpt_shape" in bundle.read(name, limit)


def _load_yaml(where: str, data: bytes) -> dict[str, Any]:
    try:
        config = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise BadInput(f"{where}: not valid YAML ({one_line(exc)})") from exc
    if not isinstance(config, dict):
        raise BadInput(f"{where}: expected a mapping of settings")
    return config


def _kpt_shape(where: str, value: Any) -> tuple[int, int]:
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
    if not ok or value[0] < 1 or value[1] not in (2, 3):
        raise BadInput(f"{where}: kpt_shape must be [number of keypoints, 2 or 3], got {value}")
    return int(value[0]), int(value[1])


def _names(where: str, value: Any) -> dict[int, str]:
    if isinstance(value, list):
        return {i: str(n) for i, n in enumerate(value)}
    if isinstance(value, dict):
        try:
            return {int(k): str(v) for k, v in value.items()}
        except (TypeError, ValueError) as exc:
            raise BadInput(f"{where}: names must map class indices to names") from exc
    if value is None:
        return {0: "animal"}
    raise BadInput(f"{where}: names must be a list or a mapping, got {value!r}")


def _chosen_class(where: str, classes: dict[int, str], label: str | None) -> int:
    if label is not None:
        found = [i for i, n in classes.items() if n == label]
        if not found:
            raise BadInput(f"{where}: no class named {label!r}; classes: {list(classes.values())}")
        return found[0]
    if len(classes) > 1:
        raise BadInput(
            f"{where}: {len(classes)} classes {list(classes.values())}; choose one (label)"
        )
    return next(iter(classes))


def _keypoint_names(
    where: str, value: Any, cls: int, count: int, project_names: list[str] | None
) -> tuple[list[str], str | None]:
    if isinstance(value, dict):
        value = value.get(cls, value.get(str(cls)))
    if value is not None:
        if not isinstance(value, list) or len(value) != count:
            raise BadInput(f"{where}: kpt_names must list {count} names (kpt_shape), got {value}")
        return check_names(f"{where}: kpt_names", [str(v) for v in value]), None
    if project_names is not None and len(project_names) == count:
        note = f"{where}: no kpt_names; the {count} keypoints taken in the project's order"
        return list(project_names), note
    return [f"kp{i + 1}" for i in range(count)], None


def _rows(where: str, text: str, cls: int, count: int, dims: int) -> list[list[Keypoint]]:
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        origin = f"{where}: line {n}"
        if len(fields) != 5 + count * dims:
            raise BadInput(
                f"{origin}: {len(fields)} values; expected 5 + {count}x{dims} (kpt_shape)"
            )
        if int(to_float(origin, fields[0])) != cls:
            continue
        values = [to_float(origin, f) for f in fields[5:]]
        rows.append([_point(origin, values[k * dims : (k + 1) * dims]) for k in range(count)])
    return rows


def _point(origin: str, values: list[float]) -> Keypoint:
    x, y = values[0], values[1]
    if len(values) == 3:
        v = int(values[2])
        if v not in VISIBILITY:
            raise BadInput(f"{origin}: visibility {values[2]} is not 0, 1 or 2")
        return labeled(x, y, VISIBILITY[v])
    return UNLABELED if x == 0 and y == 0 else labeled(x, y, "visible")


def write(dataset: Dataset, sink: Sink) -> list[str]:
    """data.yaml and labels/train/*.txt; returns the image path of each item, for the
    caller to copy the images to."""
    names = dataset.keypoint_names
    config = {
        "path": ".",
        "train": "images/train",
        "val": "images/train",
        "kpt_shape": [len(names), 3],
        "flip_idx": flip_idx(names),
        "names": {0: dataset.name},
        "kpt_names": {0: names},
        "skeleton": [[a, b] for a, b in dataset.skeleton],
    }
    sink.write_bytes("data.yaml", yaml.safe_dump(config, sort_keys=False).encode())
    paths = []
    for item in dataset.items:
        image = f"images/train/{item.file_name}"
        paths.append(image)
        line = _line(item)
        if line is not None:
            sink.write_bytes(label_path(image), (line + "\n").encode())
    return paths


def _line(item: Item) -> str | None:
    w, h = item.width, item.height
    points = item.points or []
    placed = [p for p in points if p.x is not None and p.y is not None]
    if not w or not h or not placed:
        return None
    xs = [p.x / w for p in placed if p.x is not None]
    ys = [p.y / h for p in placed if p.y is not None]
    box = [(min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys)]
    cells = ["0", *(repr(v) for v in box)]
    for p in points:
        if p.x is None or p.y is None:
            cells += ["0", "0", "0"]
        else:
            cells += [repr(p.x / w), repr(p.y / h), "1" if p.visibility == "occluded" else "2"]
    return " ".join(cells)


_WORDS = (("left", "right"), ("Left", "Right"), ("LEFT", "RIGHT"))
_ENDS = (("L", "R"), ("l", "r"))


def _mirrors(name: str) -> list[str]:
    """Names `name`'s mirror image may have: left_ear/right_ear, wingL/wingR, l_paw/r_paw."""
    out = []
    for a, b in _WORDS:
        out += [name.replace(a, b), name.replace(b, a)]
    for a, b in _ENDS:
        for x, y in ((a, b), (b, a)):
            if name.endswith(x):
                out.append(name[: -len(x)] + y)
            if name.startswith(x + "_"):
                out.append(y + name[len(x) :])
    return [m for m in out if m != name]


def flip_idx(names: list[str]) -> list[int]:
    """Each keypoint's mirror image's index (left_ear <-> right_ear), itself if none."""
    index = {n: i for i, n in enumerate(names)}
    return [next((index[m] for m in _mirrors(n) if m in index), i) for i, n in enumerate(names)]
