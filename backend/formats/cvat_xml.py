"""What CVAT 1.1's two XML layouts share: the document, the skeleton label in `<meta>`, and
one skeleton point.

A skeleton label names its points through sub-labels (`<parent>`) and its edges in the label's
`<svg>` (`data-node-from`/`data-node-to` between `data-node-id`s). A point is
`<points label="nose" outside=… occluded=… points="x,y"/>`: `outside="1"` reads as unlabeled,
`occluded="1"` as occluded, otherwise visible. "CVAT for images" (`cvat.py`) holds these per
`<image>`, "CVAT for video" (`cvat_video.py`) per frame of a `<track>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from backend.errors import BadInput
from backend.formats.common import (
    UNLABELED,
    Dataset,
    Keypoint,
    Visibility,
    check_names,
    check_skeleton,
    labeled,
    one_line,
    to_float,
)


def root(where: str, data: bytes) -> ET.Element:
    # A DTD is never needed by CVAT files and is the door to entity-expansion attacks. The
    # parser refuses it after decoding, so no encoding (UTF-16, UTF-32...) can hide it.
    try:
        element: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise BadInput(f"{where}: DTDs and entities are not allowed in CVAT files") from exc
    except ET.ParseError as exc:
        raise BadInput(f"{where}: malformed XML ({one_line(exc)})") from exc
    return element


def parse_document(where: str, data: bytes) -> ET.Element:
    element = root(where, data)
    if element.tag != "annotations":
        raise BadInput(f"{where}: root element is <{element.tag}>, expected <annotations>")
    return element


def skeleton_schema(where: str, document: ET.Element, wanted: str | None) -> Dataset:
    """The keypoints and edges of the one skeleton label (`wanted`, when several), as an empty
    dataset named after the label."""
    labels = list(document.iter("label"))
    skeletons = [lb for lb in labels if lb.findtext("type") == "skeleton"]
    if wanted is not None:
        skeletons = [lb for lb in skeletons if lb.findtext("name") == wanted]
    if len(skeletons) != 1:
        found = [lb.findtext("name") for lb in skeletons]
        raise BadInput(f"{where}: expected one skeleton label in <meta>, found {found}")
    label = skeletons[0]
    label_name = label.findtext("name") or ""
    raw = [lb.findtext("name") or "" for lb in labels if lb.findtext("parent") == label_name]
    names = check_names(f"{where}: skeleton {label_name!r}", raw)
    edges = _edges(where, label.findtext("svg") or "")
    check_skeleton(f"{where}: skeleton {label_name!r}", names, edges)
    return Dataset(names, edges, name=label_name)


def _edges(where: str, svg: str) -> list[tuple[str, str]]:
    if not svg.strip():
        return []
    shapes = root(f"{where}: skeleton svg", f"<svg>{svg}</svg>".encode())
    node_names = {
        c.get("data-node-id"): (c.get("data-label-name") or "").strip()
        for c in shapes.iter("circle")
    }
    edges = []
    for line in shapes.iter("line"):
        a = node_names.get(line.get("data-node-from"))
        b = node_names.get(line.get("data-node-to"))
        if not a or not b:
            raise BadInput(f"{where}: skeleton svg has an edge between unknown nodes")
        edges.append((a, b))
    return edges


def points(origin: str, skeleton: ET.Element, dataset: Dataset) -> list[Keypoint]:
    """A `<skeleton>`'s points in the dataset's keypoint order; a point it lacks is unlabeled."""
    by_name: dict[str, Keypoint] = {}
    for element in skeleton.findall("points"):
        name = (element.get("label") or "").strip()
        if name not in dataset.keypoint_names:
            raise BadInput(f"{origin}: point label {name!r} is not in skeleton {dataset.name!r}")
        coords = (element.get("points") or "").split(";")[0].split(",")
        if len(coords) != 2:
            raise BadInput(
                f"{origin}: point {name} has points={element.get('points')!r}, not 'x,y'"
            )
        x, y = (to_float(f"{origin}, point {name}", c) for c in coords)
        if element.get("outside") == "1":
            by_name[name] = UNLABELED
        else:
            visibility: Visibility = "occluded" if element.get("occluded") == "1" else "visible"
            by_name[name] = labeled(x, y, visibility)
    return [by_name.get(n, UNLABELED) for n in dataset.keypoint_names]
