"""A DeepLabCut project as a COCO keypoints file, read with the importer users get.

    .venv/bin/python bench/dlc_to_coco.py ../shared/data/formats/dlc_reaching_mouse \
        bench/out/reaching_mouse.json

`file_name`s are relative to the project folder (pass it as `--images`). DeepLabCut has no
bbox, so none is written: PCK then normalises by the keypoints' extent (docs/MODEL.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.formats import dlc
from backend.formats.bundle import Bundle

VISIBILITY = {"visible": 2, "occluded": 1, "unlabeled": 0}


def convert(project: Path) -> dict[str, object]:
    with Bundle() as bundle:
        bundle.add_path(project)
        dataset = dlc.read(bundle)
    names = dataset.keypoint_names
    images: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    for item in dataset.items:
        if item.points is None:
            continue
        image_id = len(images) + 1
        images.append({"id": image_id, "file_name": item.file_name})
        flat: list[float] = []
        for p in item.points:
            labeled = p.x is not None and p.y is not None and p.visibility != "unlabeled"
            flat += [p.x or 0.0, p.y or 0.0, VISIBILITY[p.visibility] if labeled else 0]
        count = sum(1 for v in flat[2::3] if v > 0)
        annotations.append(
            {"id": image_id, "image_id": image_id, "category_id": 1, "keypoints": flat,
             "num_keypoints": count}
        )  # fmt: skip
    skeleton = [[names.index(a) + 1, names.index(b) + 1] for a, b in dataset.skeleton]
    category = {"id": 1, "name": dataset.name, "keypoints": names, "skeleton": skeleton}
    return {"images": images, "annotations": annotations, "categories": [category]}


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: dlc_to_coco.py DLC_PROJECT_DIR OUT.json")
    coco = convert(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(coco))
    print(f"{len(coco['images'])} images -> {out}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
