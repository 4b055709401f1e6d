"""COCO keypoints (`annotations.json`).

Visibility: v=0 unlabeled, v=1 occluded ("labeled but not visible"), v=2 visible; unlabeled
points are written as (0, 0, 0). Skeletons are 1-based keypoint indices, as in COCO itself.
One category is one animal schema: a file with several keypoint categories needs `category`.
Lossy: only the first annotation of the chosen category per image is kept (Keyloop stores one
animal per image; the others are listed in `Dataset.notes`); bbox, area, segmentation and
crowd annotations are not read (bbox and area are recomputed on export from the points).
"""

from __future__ import annotations

import json
from typing import Any

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import (
    UNLABELED,
    Dataset,
    Item,
    Keypoint,
    Visibility,
    check_names,
    labeled,
)

_FROM_V: dict[int, Visibility] = {0: "unlabeled", 1: "occluded", 2: "visible"}
_TO_V = {"unlabeled": 0, "occluded": 1, "visible": 2}


def find_annotation_file(bundle: Bundle) -> str:
    found = bundle.with_suffix(".json")
    if len(found) != 1:
        raise BadInput(f"COCO import needs exactly one .json annotation file; found {found}")
    return found[0]


def read(bundle: Bundle, category: str | None = None, limit: int = 1 << 30) -> Dataset:
    name = find_annotation_file(bundle)
    try:
        doc = json.loads(bundle.read(name, limit))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{name}: not valid JSON ({exc})") from exc
    dataset = parse(name, doc, category)
    dataset.anchor = name
    return dataset


def _list(where: str, doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadInput(f"{where}: '{key}' must be a list of objects")
    return value


def _pick_category(where: str, categories: list[dict[str, Any]], wanted: str | None) -> Any:
    with_kps = [c for c in categories if c.get("keypoints")]
    if wanted is not None:
        chosen = [c for c in with_kps if c.get("name") == wanted]
        if not chosen:
            names = [c.get("name") for c in with_kps]
            raise BadInput(f"{where}: no keypoint category named {wanted!r}; there are {names}")
        return chosen[0]
    if len(with_kps) != 1:
        names = [c.get("name") for c in with_kps]
        raise BadInput(f"{where}: expected one category with keypoints, found {names}; pick one")
    return with_kps[0]


def parse(where: str, doc: Any, category: str | None = None) -> Dataset:
    if not isinstance(doc, dict):
        raise BadInput(f"{where}: expected a COCO object with images, annotations, categories")
    cat = _pick_category(where, _list(where, doc, "categories"), category)
    cat_where = f"{where}: category {cat.get('name')!r}"
    raw_names = cat["keypoints"]
    if not isinstance(raw_names, list):
        raise BadInput(f"{cat_where}: 'keypoints' must be a list of names")
    names = check_names(cat_where, raw_names)
    skeleton = []
    for edge in cat.get("skeleton") or []:
        if not (isinstance(edge, list) and len(edge) == 2 and all(type(i) is int for i in edge)):
            raise BadInput(f"{cat_where}: skeleton edge {edge} is not a pair of indices")
        if not all(1 <= i <= len(names) for i in edge):
            raise BadInput(f"{cat_where}: skeleton edge {edge} is outside 1..{len(names)}")
        skeleton.append((names[edge[0] - 1], names[edge[1] - 1]))
    dataset = Dataset(names, skeleton, name=str(cat.get("name") or "animal"))
    n_kp_categories = sum(1 for c in _list(where, doc, "categories") if c.get("keypoints"))

    images: dict[Any, dict[str, Any]] = {}
    img: dict[str, Any] | None
    for img in _list(where, doc, "images"):
        if "id" not in img or not isinstance(img.get("file_name"), str):
            raise BadInput(f"{where}: image {img} needs an id and a file_name")
        images[img["id"]] = img
    annotated: dict[Any, Item] = {}
    any_annotation: set[Any] = set()
    for ann in _list(where, doc, "annotations"):
        any_annotation.add(ann.get("image_id"))
        if ann.get("category_id") != cat.get("id") or ann.get("iscrowd"):
            continue
        ann_where = f"{where}: annotation {ann.get('id')}"
        img = images.get(ann.get("image_id"))
        if img is None:
            raise BadInput(f"{ann_where}: refers to image id {ann.get('image_id')} not in 'images'")
        if img["id"] in annotated:
            dataset.notes.append(f"{ann_where}: another animal in {img['file_name']}; skipped")
            continue
        item = _item(img, f"{ann_where} (image {img['file_name']!r})")
        item.points = _points(ann_where, ann.get("keypoints"), len(names))
        score = ann.get("score")
        item.score = float(score) if isinstance(score, int | float) else None
        annotated[img["id"]] = item
    for img_id, img in images.items():
        if img_id in annotated:
            dataset.items.append(annotated[img_id])
        elif img_id not in any_annotation and n_kp_categories == 1:
            dataset.items.append(_item(img, f"{where}: image {img['file_name']!r}"))
    return dataset


def _item(img: dict[str, Any], origin: str) -> Item:
    width, height = img.get("width"), img.get("height")
    return Item(
        file_name=img["file_name"],
        points=None,
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
        origin=origin,
    )


def _points(where: str, flat: Any, n: int) -> list[Keypoint]:
    if not isinstance(flat, list) or len(flat) != 3 * n:
        got = len(flat) if isinstance(flat, list) else type(flat).__name__
        raise BadInput(
            f"{where}: expected {3 * n} keypoint numbers (x, y, v per keypoint), got {got}"
        )
    points = []
    for i in range(n):
        x, y, v = flat[3 * i : 3 * i + 3]
        if not all(isinstance(c, int | float) for c in (x, y, v)) or v not in _FROM_V:
            raise BadInput(f"{where}: keypoint {i + 1} is ({x}, {y}, {v}); v must be 0, 1 or 2")
        points.append(labeled(x, y, _FROM_V[int(v)]) if v else UNLABELED)
    return points


def dump(dataset: Dataset, *, with_scores: bool = False) -> dict[str, Any]:
    """A COCO keypoints document. Predictions carry `score` and per-keypoint
    `keypoint_scores` (the convention of mmpose and COCO result files)."""
    names = dataset.keypoint_names
    index = {n: i + 1 for i, n in enumerate(names)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, item in enumerate(dataset.items, start=1):
        images.append(
            {
                "id": image_id,
                "file_name": item.file_name,
                "width": item.width,
                "height": item.height,
            }
        )
        if item.points is None:
            continue
        flat: list[float] = []
        for p in item.points:
            flat += (
                [p.x, p.y, _TO_V[p.visibility]]
                if p.x is not None and p.y is not None
                else [0, 0, 0]
            )
        xs = [p.x for p in item.points if p.x is not None]
        ys = [p.y for p in item.points if p.y is not None]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)] if xs else [0, 0, 0, 0]
        ann: dict[str, Any] = {
            "id": len(annotations) + 1,
            "image_id": image_id,
            "category_id": 1,
            "keypoints": flat,
            "num_keypoints": sum(1 for p in item.points if p.visibility != "unlabeled"),
            "bbox": bbox,
            "area": bbox[2] * bbox[3],
            "iscrowd": 0,
        }
        if with_scores:
            ann["score"] = item.score
            ann["keypoint_scores"] = [p.score for p in item.points]
        annotations.append(ann)
    category = {
        "id": 1,
        "name": dataset.name,
        "supercategory": "animal",
        "keypoints": names,
        "skeleton": [[index[a], index[b]] for a, b in dataset.skeleton],
    }
    return {
        "info": {"description": f"{dataset.name}, exported by Keyloop"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [category],
    }
