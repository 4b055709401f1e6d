"""SLEAP labels (`.slp`), read and written through the maintained `sleap-io` library.

Single animal: of each labeled frame the first user-labeled instance is kept (predicted
instances and further animals are listed in `Dataset.notes`). Frames come either embedded in
the file (a "labels package", `.pkg.slp`) or from image files named by the file's image-set
videos, looked up next to it. Visibility: NaN coordinates read as unlabeled, a point with
coordinates that SLEAP marks not visible reads as occluded. Video files (.mp4) are refused:
export a labels package with embedded frames from SLEAP instead.

Export writes a labels package (`labels.pkg.slp`) with the annotated frames embedded;
sleap-io re-encodes them (PNG), so the embedded bytes are not the original files, and
occluded points are written with coordinates and `visible=False`. Unannotated images are
left out (SLEAP embeds labeled frames).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import (
    Dataset,
    Item,
    Keypoint,
    check_names,
    labeled,
)


def _sleap_io() -> Any:
    try:
        import sleap_io as sio  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - an optional dependency
        raise BadInput("SLEAP files need the sleap-io package on the server") from exc
    return sio


def read(bundle: Bundle, workdir: Path, limit: int = 1 << 30) -> Dataset:
    """Read the bundle's one .slp; embedded frames are read lazily from a copy in `workdir`,
    which must outlive the returned dataset's use."""
    sio = _sleap_io()
    found = bundle.with_suffix(".slp")
    if len(found) != 1:
        raise BadInput(f"SLEAP import needs exactly one .slp file; found {found}")
    name = found[0]
    path = workdir / "labels.slp"
    bundle.copy_to(name, path, limit)
    try:
        labels = sio.load_slp(str(path), open_videos=False)
    except Exception as exc:  # h5py and sleap-io raise many types for a bad file
        raise BadInput(f"{name}: not a readable SLEAP file ({exc})") from exc
    if len(labels.skeletons) != 1:
        raise BadInput(f"{name}: expected one skeleton, found {len(labels.skeletons)}")
    skeleton = labels.skeletons[0]
    names = check_names(f"{name}: skeleton", list(skeleton.node_names))
    edges = [(str(a).strip(), str(b).strip()) for a, b in skeleton.edge_names]
    dataset = Dataset(names, edges, name=skeleton.name or "animal", anchor=name)
    for n, lf in enumerate(labels.labeled_frames):
        origin = f"{name}: labeled frame {n} (frame {lf.frame_idx})"
        users = list(lf.user_instances)
        if not users:
            dataset.notes.append(f"{origin}: no user-labeled instance; skipped")
            continue
        if len(users) > 1:
            dataset.notes.append(f"{origin}: {len(users) - 1} further instances skipped")
        file_name, loader = _frame(origin, lf.video, int(lf.frame_idx))
        points = _points(users[0])
        dataset.items.append(Item(file_name, points, origin=origin, load_image=loader))
    return dataset


def _points(instance: Any) -> list[Keypoint]:
    points = []
    for (x, y), visible in zip(instance.points["xy"], instance.points["visible"], strict=True):
        points.append(labeled(float(x), float(y), "visible" if visible else "occluded"))
    return points


def _frame(origin: str, video: Any, frame_idx: int) -> tuple[str, Callable[[], bytes] | None]:
    kind = video.backend_metadata.get("type")
    if kind == "HDF5Video" and video.backend_metadata.get("has_embedded_images"):
        if video.backend is None:
            video.open()
        backend = video.backend
        fmt = getattr(backend, "image_format", None) or "png"
        # A package made from image files remembers them: keep the frame's own file name.
        origin_files = getattr(video.source_video, "filename", None)
        if isinstance(origin_files, list) and 0 <= frame_idx < len(origin_files):
            name = PurePosixPath(str(origin_files[frame_idx]).replace("\\", "/")).name
        else:
            source = getattr(backend, "source_filename", None) or video.filename
            stem = PurePosixPath(str(source).replace("\\", "/")).stem or "frame"
            name = f"{stem}_{frame_idx:06d}.{fmt}"

        def load() -> bytes:
            raw = backend.get_frame_raw_bytes(frame_idx)
            if raw is None:
                raise BadInput(f"{origin}: the embedded frame is missing from the file")
            return bytes(raw.tobytes())

        return name, load
    if kind == "ImageVideo" or isinstance(video.filename, list):
        files = list(video.filename)
        if not 0 <= frame_idx < len(files):
            raise BadInput(f"{origin}: frame index outside the video's {len(files)} images")
        return str(files[frame_idx]), None
    raise BadInput(
        f"{origin}: frames come from the video {video.filename!r}; only embedded frames or "
        "image files are supported (export a labels package with embedded images in SLEAP)"
    )


def write(dataset: Dataset, images: list[Path], out: Path) -> None:
    """Write `dataset` as a labels package; `images[i]` holds the bytes of `items[i]`."""
    import numpy as np

    sio = _sleap_io()
    # Copies: sleap-io turns the lists it is given into its Node objects in place.
    names, edges = list(dataset.keypoint_names), list(dataset.skeleton)
    skeleton = sio.Skeleton(names, edges=edges, name=dataset.name)
    with tempfile.TemporaryDirectory(prefix="keyloop-slp-") as tmp:
        # sleap-io opens frames by file name and extension; blobs have neither.
        paths = []
        for item, source in zip(dataset.items, images, strict=True):
            if item.points is not None:
                # Names are unique (the exporter makes them so) and become the frames' names.
                paths.append(Path(tmp) / PurePosixPath(item.file_name).name)
                shutil.copyfile(source, paths[-1])
        # No annotated frame: a valid labels file with the skeleton and no video.
        videos = [sio.Video.from_filename([str(p) for p in paths])] if paths else []
        frames = []
        annotated = [i for i in dataset.items if i.points is not None]
        for frame_idx, item in enumerate(annotated):
            points = item.points or []
            xy = np.array([[p.x, p.y] if p.x is not None else [np.nan, np.nan] for p in points])
            instance = sio.Instance.from_numpy(xy.reshape(-1, 2), skeleton=skeleton)
            instance.points["visible"] = [p.visibility == "visible" for p in points]
            frames.append(
                sio.LabeledFrame(video=videos[0], frame_idx=frame_idx, instances=[instance])
            )
        labels = sio.Labels(labeled_frames=frames, videos=videos, skeletons=[skeleton])
        sio.save_slp(labels, str(out), embed="user")
