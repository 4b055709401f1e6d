"""Label Studio JSON exports (a list of tasks) with `keypointlabels` results.

Each task names its image in `data` (`{"image": "/data/upload/1/8c1f2e3a-frame.jpg"}`); each
annotation's `result` holds one region per keypoint: `value.x`/`value.y` in percent of
`original_width`/`original_height`, the keypoint's name in `value.keypointlabels`. Images are
found in the upload by that path, by its file name, or by the file name without the 8-hex-
digit prefix Label Studio gives uploaded files. Keypoint names come from the labeling config
(`<KeyPointLabels>` labels of an `.xml` in the upload) when there is one, else from the
results in the order first seen. A region marked by a per-region `choices` result of
`occluded` (as Keyloop exports) reads as occluded; other regions are visible; a keypoint
without a region is unlabeled.

The JSON-MIN export (one flat object per task, regions under the tag's name) reads too.

Lossy: the first non-cancelled annotation of a task is kept (predictions are ignored), and
of a keypoint placed twice in it, the first; other region types are ignored; a rotated image
(`image_rotation`) is refused. Export writes `tasks.json` (one task per image, paths
`images/<name>`), the labeling config `config.xml` with a per-region `visibility` choice,
and the images.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from backend.errors import BadInput
from backend.formats.bundle import Bundle, Sink
from backend.formats.common import (
    UNLABELED,
    Dataset,
    Item,
    Keypoint,
    check_names,
    labeled,
    one_line,
)

KEYPOINTS, OCCLUDED = "keypoints", "occluded"
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


def read(bundle: Bundle, limit: int = 1 << 30) -> Dataset:
    found = bundle.with_suffix(".json")
    if len(found) != 1:
        raise BadInput(f"Label Studio import needs exactly one .json export; found {found}")
    where = found[0]
    try:
        tasks = json.loads(bundle.read(where, limit))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{where}: not valid JSON ({one_line(exc)})") from exc
    if isinstance(tasks, dict):  # one task exported alone
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise BadInput(f"{where}: expected a list of Label Studio tasks")
    tasks = [_from_min(t) for t in tasks]
    config_names = _config_names(bundle, limit)
    regions = [
        (f"{where}: task {t.get('id', n)}", t, _regions(where, t)) for n, t in enumerate(tasks)
    ]
    names = config_names or _seen_names(regions)
    if not names:
        raise BadInput(f"{where}: no keypointlabels results and no labeling config to name them")
    names = check_names(f"{where}: keypoint labels", names)
    dataset = Dataset(names, name="animal", anchor=where)
    repeated = 0
    for origin, task, found_regions in regions:
        item = _item(origin, task, found_regions, names, bundle)
        repeated += _repeats(found_regions)
        dataset.items.append(item)
    if repeated:
        dataset.notes.append(f"{where}: {repeated} repeated keypoints skipped (first kept)")
    return dataset


def _from_min(task: dict[str, Any]) -> dict[str, Any]:
    """A task of the JSON-MIN export (`{"image": ..., "<from_name>": [regions]}`) in the
    shape of the full JSON export; a full task is returned as it is."""
    if "data" in task or "annotations" in task:
        return task
    data = {k: v for k, v in task.items() if isinstance(v, str)}
    results = []
    for key, value in task.items():
        if not isinstance(value, list):
            continue
        for n, r in enumerate(value):
            if isinstance(r, dict) and "keypointlabels" in r:
                size = {k: r.get(k) for k in ("original_width", "original_height")}
                rid = f"{key}-{n}"
                results.append({"id": rid, "type": "keypointlabels", **size, "value": r})
    full: dict[str, Any] = {"data": data, "annotations": [{"result": results}]}
    return full | ({"id": task["id"]} if "id" in task else {})


def _config_names(bundle: Bundle, limit: int) -> list[str]:
    for name in bundle.with_suffix(".xml"):
        try:
            root = SafeET.fromstring(bundle.read(name, limit), forbid_dtd=True)
        except (DefusedXmlException, ET.ParseError) as exc:
            raise BadInput(f"{name}: not a readable labeling config ({one_line(exc)})") from exc
        tags = [e for e in root.iter() if e.tag.lower() == "keypointlabels"]
        if tags:
            return [str(lb.get("value", "")) for lb in tags[0].iter("Label")]
    return []


Region = tuple[str, float, float, int, int, bool]  # name, x %, y %, width, height, occluded


def _regions(where: str, task: dict[str, Any]) -> list[Region]:
    annotations = [
        a
        for a in _list(where, task, "annotations")
        if isinstance(a, dict) and not a.get("was_cancelled")
    ]
    if not annotations:
        return []
    results = _list(where, annotations[0], "result")
    if not all(isinstance(r, dict) for r in results):
        raise BadInput(f"{where}: task {task.get('id')}: result holds a non-object")
    occluded = {
        str(r.get("id"))
        for r in results
        if r.get("type") == "choices" and OCCLUDED in _dict(where, r, "value").get("choices", [])
    }
    out = []
    for r in results:
        if r.get("type") != "keypointlabels":
            continue
        origin = f"{where}: task {task.get('id')}, region {r.get('id')!r}"
        value = _dict(where, r, "value")
        if r.get("image_rotation") or value.get("rotation"):
            raise BadInput(f"{origin}: the image is rotated in Label Studio; rotate it back")
        labels = _list(where, value, "keypointlabels")
        try:
            x, y = float(value["x"]), float(value["y"])
            w, h = int(r["original_width"]), int(r["original_height"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"{origin}: needs value.x, value.y, original_width/height") from exc
        if len(labels) != 1 or w <= 0 or h <= 0:
            raise BadInput(f"{origin}: needs one keypoint label and a positive image size")
        out.append((str(labels[0]).strip(), x, y, w, h, str(r.get("id")) in occluded))
    return out


def _list(where: str, parent: dict[str, Any], key: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"{where}: {key!r} of {parent.get('id', '?')} must be a list")
    return value


def _dict(where: str, parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{where}: {key!r} of {parent.get('id', '?')} must be an object")
    return value


def _seen_names(regions: list[tuple[str, dict[str, Any], list[Region]]]) -> list[str]:
    names: list[str] = []
    for _, _, found in regions:
        for r in found:
            if r[0] not in names:
                names.append(r[0])
    return names


def _repeats(regions: list[Region]) -> int:
    return len(regions) - len({r[0] for r in regions})


def _item(
    origin: str, task: dict[str, Any], regions: list[Region], names: list[str], bundle: Bundle
) -> Item:
    data = _dict(origin, task, "data")
    refs = [v for v in data.values() if isinstance(v, str)]
    ref = data.get("image") if isinstance(data.get("image"), str) else (refs[0] if refs else None)
    if not ref:
        raise BadInput(f"{origin}: data names no image")
    file_name = resolve(bundle, ref)
    image = image_name_of(ref)
    if not regions:
        return Item(file_name, None, origin=origin, name=image)
    sizes = {(w, h) for _, _, _, w, h, _ in regions}
    if len(sizes) != 1:
        raise BadInput(f"{origin}: regions give different image sizes {sorted(sizes)}")
    ((width, height),) = sizes
    by_name: dict[str, Keypoint] = {}
    for name, x, y, _, _, occluded in regions:
        if name not in names:
            raise BadInput(f"{origin}: keypoint label {name!r} is not in the labeling config")
        if name not in by_name:
            xy = (x * width / 100, y * height / 100)
            by_name[name] = labeled(*xy, "occluded" if occluded else "visible")
    points = [by_name.get(n, UNLABELED) for n in names]
    return Item(file_name, points, width, height, origin=f"{origin} ({ref})", name=image)


def _ref_path(ref: str) -> str:
    parsed = urlparse(ref)
    query = parse_qs(parsed.query)
    return unquote(query["d"][0]) if "d" in query else unquote(parsed.path)  # local files


def image_name_of(ref: str) -> str:
    """The image's name in Keyloop: an upload's file name without Label Studio's 8-hex-digit
    prefix, a local file's path, else the path below an export's `images/` folder."""
    path = _ref_path(ref).lstrip("/")
    if path.startswith("data/upload/"):
        return _UPLOAD_PREFIX.sub("", PurePosixPath(path).name)
    return path.removeprefix("images/")


def resolve(bundle: Bundle, ref: str) -> str:
    """The bundle file a task's image reference means, else the reference itself (the
    import then says the image is not in the upload)."""
    path = _ref_path(ref)
    base = PurePosixPath(path).name
    for candidate in (path.lstrip("/"), base, _UPLOAD_PREFIX.sub("", base)):
        found = bundle.resolve(candidate)
        if found is not None:
            return found
    return path.lstrip("/")


def write(dataset: Dataset, sink: Sink) -> list[str]:
    """tasks.json and config.xml; returns the image path of each item, for the caller."""
    tasks, paths = [], []
    for n, item in enumerate(dataset.items, start=1):
        path = f"images/{item.file_name}"
        paths.append(path)
        annotations = _annotations(n, item, dataset.keypoint_names)
        tasks.append({"id": n, "data": {"image": path}, "annotations": annotations})
    sink.write_bytes("tasks.json", json.dumps(tasks, indent=1).encode())
    sink.write_bytes("config.xml", _config(dataset.keypoint_names))
    return paths


def _annotations(n: int, item: Item, names: list[str]) -> list[dict[str, Any]]:
    if item.points is None or not item.width or not item.height:
        return []
    results: list[dict[str, Any]] = []
    for k, (name, p) in enumerate(zip(names, item.points, strict=True)):
        if p.x is None or p.y is None:
            continue
        region = f"kp{n}_{k}"
        common = {
            "id": region,
            "from_name": KEYPOINTS,
            "to_name": "image",
            "original_width": item.width,
            "original_height": item.height,
            "image_rotation": 0,
        }
        value = {"x": p.x * 100 / item.width, "y": p.y * 100 / item.height, "width": 0.5}
        results.append(
            {**common, "type": "keypointlabels", "value": {**value, "keypointlabels": [name]}}
        )
        if p.visibility == "occluded":
            choice = {"choices": [OCCLUDED]}
            results.append(
                {**common, "from_name": "visibility", "type": "choices", "value": choice}
            )
    return [{"id": n, "result": results, "was_cancelled": False}]


def _config(names: list[str]) -> bytes:
    view = ET.Element("View")
    ET.SubElement(view, "Image", name="image", value="$image")
    labels = ET.SubElement(view, "KeyPointLabels", name=KEYPOINTS, toName="image")
    for name in names:
        ET.SubElement(labels, "Label", value=name)
    choices = ET.SubElement(
        view, "Choices", name="visibility", toName="image", perRegion="true", choice="single"
    )
    ET.SubElement(choices, "Choice", value=OCCLUDED)
    ET.indent(view)
    return bytes(ET.tostring(view, encoding="utf-8", xml_declaration=True))
