"""CVAT 1.1 XML with skeletons (`annotations.xml`): "CVAT for images" read and written here;
"CVAT for video" (tracks over a video's frames) and a video task exported as "CVAT for images"
(frames named `frame_000012`, no files) read by `cvat_video`.

Per point `outside="1"` reads as unlabeled, `occluded="1"` as occluded, otherwise visible
(`cvat_xml`); unlabeled points are written with `outside="1"` at (0, 0). Lossy: only the first
skeleton of the label per image is kept; attributes, z_order, groups and other shapes are
ignored. Exports are always CVAT for images: every frame Keyloop has is an image.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from backend.errors import BadInput
from backend.formats import cvat_video
from backend.formats.bundle import Bundle
from backend.formats.common import Dataset, Item, to_float
from backend.formats.cvat_frames import FrameSources
from backend.formats.cvat_xml import parse_document, points, skeleton_schema


def read(
    bundle: Bundle,
    skeleton: str | None = None,
    limit: int = 1 << 30,
    *,
    workdir: Path,
    video_limit: int | None = None,
) -> Dataset:
    """The bundle's one .xml; a video task's frames come from the bundle's frame images or
    its video (copied into `workdir`, read under `video_limit`, default `limit`)."""
    found = bundle.with_suffix(".xml")
    if len(found) != 1:
        raise BadInput(f"CVAT import needs exactly one .xml annotation file; found {found}")
    name = found[0]
    document = parse_document(name, bundle.read(name, limit))
    sources = FrameSources(bundle, workdir, video_limit or limit)
    if document.find("track") is not None:
        dataset = cvat_video.read(name, document, skeleton, sources)
    elif cvat_video.of_video_task(document):
        dataset = cvat_video.read_images(name, document, skeleton, sources)
    else:
        dataset = _images(name, document, skeleton)
    dataset.anchor = name
    return dataset


def parse(where: str, data: bytes, wanted: str | None = None) -> Dataset:
    """A CVAT for images file (its images are read by the import, by name)."""
    return _images(where, parse_document(where, data), wanted)


def _images(where: str, document: ET.Element, wanted: str | None) -> Dataset:
    dataset = skeleton_schema(where, document, wanted)
    for image in document.iter("image"):
        dataset.items.append(_item(where, image, dataset))
    return dataset


def _item(where: str, image: ET.Element, dataset: Dataset) -> Item:
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
    found = [s for s in image.findall("skeleton") if s.get("label") == dataset.name]
    if len(found) > 1:
        dataset.notes.append(f"{origin}: {len(found) - 1} further {dataset.name} skeletons skipped")
    if found:
        item.points = points(origin, found[0], dataset)
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
