"""SLEAP labels (`.slp`), read and written through the maintained `sleap-io` library.

Single animal: of each labeled frame the first user-labeled instance is kept (frames with
only predicted instances and further animals are counted in `Dataset.notes`; a file with
only predictions is refused). Frames come from the file itself (a labels package,
`.pkg.slp`, as SLEAP 1.x or sleap-io wrote it, virtual crops applied), from image files
named by the file's image-set videos, or from a video file uploaded beside the .slp; see
`sleap_frames`. A frame read from an uploaded video claims to be that video's frame
`frame_idx` (`Item.video_frame`, `Dataset.videos`): the import attaches the video and links
the frames whose pixels are Keyloop's frame at that index (`services/import_videos.py`).
Visibility: NaN coordinates read as unlabeled, a point with coordinates that SLEAP marks not
visible reads as occluded.

Export writes a labels package (`labels.pkg.slp`) with the annotated frames embedded;
sleap-io re-encodes them (PNG), so the embedded bytes are not the original files, and
occluded points are written with coordinates and `visible=False`. Unannotated images are
left out (SLEAP embeds labeled frames); frames keep their file names, not their folders.
On request, frames taken from a Keyloop video are instead written as video-backed labels (the
video file by name, relative to the labels, and the frame index) while other images stay
embedded in the same `labels.slp`; the caller writes the video files beside it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.formats.common import (
    UNLABELED,
    Dataset,
    FrameClaim,
    Item,
    Keypoint,
    MediaFrame,
    UploadVideo,
    check_names,
    labeled,
    one_line,
)
from backend.formats.sleap_frames import FrameSource, frame_source


def _sleap_io() -> Any:
    try:
        import sleap_io as sio  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - an optional dependency
        raise BadInput("SLEAP files need the sleap-io package on the server") from exc
    return sio


def read(
    bundle: Bundle, workdir: Path, limit: int = 1 << 30, video_limit: int | None = None
) -> Dataset:
    """Read the bundle's one .slp; frames are read lazily from copies in `workdir` (the file,
    a video beside it), which must outlive the returned dataset's use. `video_limit` bounds a
    video frames are read from (default `limit`)."""
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
        raise BadInput(f"{name}: not a readable SLEAP file ({one_line(exc)})") from exc
    if not labels.skeletons:
        raise BadInput(
            f"{name}: the file holds no skeleton and {len(labels.labeled_frames)} labeled "
            "frames; nothing to import"
        )
    if len(labels.skeletons) != 1:
        frames = len(labels.labeled_frames)
        raise BadInput(
            f"{name}: expected one skeleton, found {len(labels.skeletons)} "
            f"(and {frames} labeled frames)"
        )
    skeleton = labels.skeletons[0]
    names = check_names(f"{name}: skeleton", list(skeleton.node_names))
    edges = [(str(a).strip(), str(b).strip()) for a, b in skeleton.edge_names]
    dataset = Dataset(names, edges, name=skeleton.name or "animal", anchor=name)
    sources: dict[int, FrameSource] = {}
    uploads: dict[str, UploadVideo] = {}  # by the video's name in the upload
    predicted_only = extra = outside = 0
    for n, lf in enumerate(labels.labeled_frames):
        origin = f"{name}: labeled frame {n} (frame {lf.frame_idx})"
        users = list(lf.user_instances)
        if not users:
            predicted_only += 1
            continue
        extra += len(users) - 1
        source = sources.get(id(lf.video))
        if source is None:
            source = frame_source(
                name, path, lf.video, bundle, workdir, limit, video_limit or limit
            )
            sources[id(lf.video)] = source
        file_name, loader = source.frame(origin, int(lf.frame_idx))
        points = _points(users[0])
        if source.size is not None:
            points, dropped = _inside(points, source.size)
            outside += dropped
        width, height = source.size or (None, None)
        item = Item(file_name, points, width, height, origin=origin, load_image=loader)
        if source.upload is not None:
            video = uploads.setdefault(source.upload, UploadVideo(source.upload, name))
            item.video_frame = FrameClaim(video, int(lf.frame_idx))
        dataset.items.append(item)
    dataset.videos = list(uploads.values())
    if predicted_only and not dataset.items:
        raise BadInput(
            f"{name}: its {predicted_only} labeled frames hold only predicted instances, no "
            "user labels; nothing to import"
        )
    if predicted_only:
        dataset.notes.append(f"{name}: {predicted_only} frames with only predictions skipped")
    if extra:
        dataset.notes.append(f"{name}: {extra} further instances skipped (one animal per image)")
    if outside:
        dataset.notes.append(
            f"{name}: {outside} points outside the video's crop imported as unlabeled"
        )
    return dataset


def _points(instance: Any) -> list[Keypoint]:
    points = []
    for (x, y), visible in zip(instance.points["xy"], instance.points["visible"], strict=True):
        points.append(labeled(float(x), float(y), "visible" if visible else "occluded"))
    return points


def _inside(points: list[Keypoint], size: tuple[int, int]) -> tuple[list[Keypoint], int]:
    """Points within a (cropped) frame of `size`; the others become unlabeled and are counted."""
    width, height = size
    kept = [
        p if p.x is None or p.y is None or (0 <= p.x <= width and 0 <= p.y <= height) else UNLABELED
        for p in points
    ]
    return kept, sum(1 for a, b in zip(points, kept, strict=True) if a is not b)


def write(
    dataset: Dataset, images: list[Path], out: Path, frames: list[MediaFrame | None] | None = None
) -> None:
    """Write `dataset` as SLEAP labels; `images[i]` holds the bytes of `items[i]`. Items whose
    `frames[i]` is set are written as that frame of a video file named beside `out` (not
    embedded); the others are embedded, so with no `frames` `out` is a labels package."""
    import numpy as np
    from sleap_io.io.slp import write_labels  # type: ignore[import-untyped]

    sio = _sleap_io()
    # Copies: sleap-io turns the lists it is given into its Node objects in place.
    names, edges = list(dataset.keypoint_names), list(dataset.skeleton)
    skeleton = sio.Skeleton(names, edges=edges, name=dataset.name)
    in_videos = frames or [None] * len(dataset.items)
    with tempfile.TemporaryDirectory(prefix="keyloop-slp-") as tmp:
        # sleap-io opens frames by file name and extension; blobs have neither.
        paths: list[Path] = []
        embedded: list[Item] = []
        media: dict[str, Any] = {}
        placed: list[tuple[Item, Any, int]] = []
        for item, source, frame in zip(dataset.items, images, in_videos, strict=True):
            if item.points is None:
                continue
            if frame is not None:
                if frame.file_name not in media:
                    media[frame.file_name] = _media_video(sio, frame)
                placed.append((item, media[frame.file_name], frame.frame_index))
                continue
            # Names are unique safe relative paths (the exporter makes them so), folders
            # included: two `frame_1.jpg` of different folders must not overwrite each other.
            paths.append(Path(tmp, *PurePosixPath(item.file_name).parts))
            paths[-1].parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, paths[-1])
            embedded.append(item)
        # No annotated frame: a valid labels file with the skeleton and no video.
        images_video = sio.Video.from_filename([str(p) for p in paths]) if paths else None
        placed += [(item, images_video, n) for n, item in enumerate(embedded)]
        labeled_frames = []
        for item, video, frame_idx in placed:
            points = item.points or []
            xy = np.array([[p.x, p.y] if p.x is not None else [np.nan, np.nan] for p in points])
            instance = sio.Instance.from_numpy(xy.reshape(-1, 2), skeleton=skeleton)
            instance.points["visible"] = [p.visibility == "visible" for p in points]
            labeled_frames.append(
                sio.LabeledFrame(video=video, frame_idx=frame_idx, instances=[instance])
            )
        videos = [*media.values(), *([images_video] if images_video is not None else [])]
        labels = sio.Labels(labeled_frames=labeled_frames, videos=videos, skeletons=[skeleton])
        embed = [(images_video, n) for n in range(len(paths))]
        # embed_all_videos=False keeps the video files referenced, not turned into empty
        # embedded datasets (what save_slp does to every video of a package).
        write_labels(str(out), labels, embed=embed or False, verbose=False, embed_all_videos=False)


def _media_video(sio: Any, frame: MediaFrame) -> Any:
    """A video file referenced by name (relative: beside the labels), not opened: its shape
    is what Keyloop's probe read."""
    shape = [frame.frame_count, frame.height, frame.width, 3]
    meta = {"type": "MediaVideo", "shape": shape, "fps": frame.fps, "grayscale": False}
    return sio.Video(
        filename=frame.file_name, backend=None, open_backend=False, backend_metadata=meta
    )
