"""CVAT for images 1.1 XML with skeletons (`annotations.xml`).

A skeleton label in `<meta>` names its points through sub-labels (`<parent>`) and its edges
in the label's `<svg>` (`data-node-from`/`data-node-to` between `data-node-id`s). Per point:
`outside="1"` reads as unlabeled, `occluded="1"` as occluded, otherwise visible; unlabeled
points are written with `outside="1"` at (0, 0). Lossy: only the first skeleton of the label
per image is kept; attributes, z_order, groups and other shapes are ignored. A "CVAT for
video 1.1" file (tracks over a video's frames) is refused with a message saying how to export
the task as CVAT for images instead.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import (
    UNLABELED,
    Dataset,
    Item,
    Keypoint,
    check_names,
    check_skeleton,
    labeled,
    one_line,
    to_float,
)


def read(bundle: Bundle, skeleton: str | None = None, limit: int = 1 << 30) -> Dataset:
    found = bundle.with_suffix(".xml")
    if len(found) != 1:
        raise BadInput(f"CVAT import needs exactly one .xml annotation file; found {found}")
    name = found[0]
    dataset = parse(name, bundle.read(name, limit), skeleton)
    dataset.anchor = name
    return dataset


def _root(where: str, data: bytes) -> ET.Element:
    # A DTD is never needed by CVAT files and is the door to entity-expansion attacks. The
    # parser refuses it after decoding, so no encoding (UTF-16, UTF-32...) can hide it.
    try:
        root: ET.Element = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise BadInput(f"{where}: DTDs and entities are not allowed in CVAT files") from exc
    except ET.ParseError as exc:
        raise BadInput(f"{where}: malformed XML ({one_line(exc)})") from exc
    return root


def parse(where: str, data: bytes, wanted: str | None = None) -> Dataset:
    root = _root(where, data)
    if root.tag != "annotations":
        raise BadInput(f"{where}: root element is <{root.tag}>, expected <annotations>")
    tracks = root.findall("track")
    if tracks:
        # Tracks are shapes interpolated between keyframes of a video; their frames are not
        # in the file. Never read them as "no images" and succeed with nothing.
        source = root.findtext("meta/source") or root.findtext("meta/task/source")
        video = f" of the video {source.strip()!r}" if source and source.strip() else ""
        raise BadInput(
            f"{where}: a CVAT for video 1.1 file ({len(tracks)} <track> elements{video}); "
            "its tracks hold the keyframes of a video, not images. In CVAT, export the task "
            "as 'CVAT for images 1.1' with 'Save images' checked, and import that zip"
        )
    labels = list(root.iter("label"))
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
    dataset = Dataset(names, edges, name=label_name)
    for image in root.iter("image"):
        dataset.items.append(_item(where, image, label_name, names, dataset.notes))
    return dataset


def _edges(where: str, svg: str) -> list[tuple[str, str]]:
    if not svg.strip():
        return []
    shapes = _root(f"{where}: skeleton svg", f"<svg>{svg}</svg>".encode())
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


def _item(where: str, image: ET.Element, label: str, names: list[str], notes: list[str]) -> Item:
    file_name = image.get("name")
    if not file_name:
        raise BadInput(f"{where}: <image id={image.get('id')!r}> has no name")
    origin = f"{where}: <image name={file_name!r}>"
    item = Item(
        file_name=file_name,
        points=None,
        width=int(to_float(origin, image.get("width", "0"))) or None,
        height=int(to_float(origin, image.get("height", "0"))) or None,
        origin=origin,
    )
    found = [s for s in image.findall("skeleton") if s.get("label") == label]
    if len(found) > 1:
        notes.append(f"{origin}: {len(found) - 1} further {label} skeletons skipped")
    if not found:
        return item
    by_name: dict[str, Keypoint] = {}
    for pts in found[0].findall("points"):
        name = (pts.get("label") or "").strip()
        if name not in names:
            raise BadInput(f"{origin}: point label {name!r} is not in skeleton {label!r}")
        coords = (pts.get("points") or "").split(";")[0].split(",")
        if len(coords) != 2:
            raise BadInput(f"{origin}: point {name} has points={pts.get('points')!r}, not 'x,y'")
        x, y = (to_float(f"{origin}, point {name}", c) for c in coords)
        if pts.get("outside") == "1":
            by_name[name] = UNLABELED
        else:
            by_name[name] = labeled(x, y, "occluded" if pts.get("occluded") == "1" else "visible")
    item.points = [by_name.get(n, UNLABELED) for n in names]
    return item


def dump(dataset: Dataset) -> bytes:
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(root, "meta"), "task")
    ET.SubElement(task, "name").text = dataset.name
    ET.SubElement(task, "size").text = str(len(dataset.items))
    ET.SubElement(task, "mode").text = "annotation"
    labels = ET.SubElement(task, "labels")
    skeleton = ET.SubElement(labels, "label")
    ET.SubElement(skeleton, "name").text = dataset.name
    ET.SubElement(skeleton, "type").text = "skeleton"
    ET.SubElement(skeleton, "attributes")
    ET.SubElement(skeleton, "svg").text = _svg(dataset)
    for name in dataset.keypoint_names:
        sub = ET.SubElement(labels, "label")
        ET.SubElement(sub, "name").text = name
        ET.SubElement(sub, "type").text = "points"
        ET.SubElement(sub, "attributes")
        ET.SubElement(sub, "parent").text = dataset.name
    for i, item in enumerate(dataset.items):
        image = ET.SubElement(
            root,
            "image",
            id=str(i),
            name=item.file_name,
            width=str(item.width),
            height=str(item.height),
        )
        if item.points is None:
            continue
        shape = ET.SubElement(image, "skeleton", label=dataset.name, source="manual", z_order="0")
        for name, p in zip(dataset.keypoint_names, item.points, strict=True):
            outside = p.x is None or p.y is None
            ET.SubElement(
                shape,
                "points",
                label=name,
                source="manual",
                outside="1" if outside else "0",
                occluded="1" if p.visibility == "occluded" else "0",
                points="0.00,0.00" if outside else f"{p.x!r},{p.y!r}",
                z_order="0",
            )
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _svg(dataset: Dataset) -> str:
    """CVAT's skeleton drawing: nodes on a circle in a 100x100 box, edges between them."""
    names = dataset.keypoint_names
    ids = {n: i + 1 for i, n in enumerate(names)}
    parts = []
    for a, b in dataset.skeleton:
        parts.append(
            f'<line data-type="edge" data-node-from="{ids[a]}" data-node-to="{ids[b]}"></line>'
        )
    for name, i in ids.items():
        angle = 2 * math.pi * (i - 1) / len(names)
        cx, cy = 50 + 40 * math.cos(angle), 50 + 40 * math.sin(angle)
        label = ET.Element("circle")
        attrs = {
            "r": "1.5",
            "cx": f"{cx:.2f}",
            "cy": f"{cy:.2f}",
            "data-type": "element node",
            "data-element-id": str(i),
            "data-node-id": str(i),
            "data-label-name": name,
        }
        label.attrib.update(attrs)
        parts.append(ET.tostring(label, encoding="unicode"))
    return "".join(parts)
