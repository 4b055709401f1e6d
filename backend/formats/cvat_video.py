"""A CVAT video task's labels, read as images of its frames: its "CVAT for video 1.1" export
(skeleton tracks; the frames a person labeled) and its "CVAT for images 1.1" export (every frame
a skeleton is on).

What CVAT writes (`cvat/apps/dataset_manager/formats/cvat.py`, `dump_as_cvat_interpolation`;
`bindings.py`; `annotation.py`, `TrackManager`; cvat-core's `SkeletonTrack`):
- `<track id label>` per object. A skeleton label's track holds `<skeleton frame keyframe>`
  (CVAT 2.x writes no `outside`/`occluded` on it: a skeleton is outside where all its points
  are), each with one `<points label outside occluded keyframe points="x,y">` per node.
- The export interpolates every track: a shape on every frame from the track's first keyframe
  on, `keyframe="0"` where CVAT drew it between keyframes (its linear guess), and keyframes
  even where outside (the frame the animal left the view; then nothing until it returns).
- Each point of a skeleton is a track of its own: moving a point makes a keyframe of that point
  only, and the skeleton is a keyframe where it or any of its points is one.
- `frame` is the video's frame number (the task's i-th frame is `start_frame + i * step`, from
  `<start_frame>`, `<stop_frame>` and `<frame_filter>step=N</frame_filter>` in `<meta><task>`;
  `<meta><job>` in a job export). `<original_size>` is the video's frame size, `<source>` its
  file name (a task export's; a job's names none). `<mode>annotation</mode>` is an image task,
  whose frames the file does not name; a video task's mode is `interpolation`.
- "CVAT for images" (`dump_as_cvat_annotation`, `CommonData.group_by_frame`) writes the same
  `<meta>` and an `<image id name width height>` per frame of the task, named
  `frame_<frame:06d>` with no suffix (`_init_frame_info`: a video task has no file names).
  Tracks become per-frame shapes (`TrackManager.to_shapes`): every interpolated frame, with no
  `keyframe` anywhere (`<skeleton label source z_order>`, `<points label source outside
  occluded points>`); skeletons with every point outside are left out.

Read as: a frame is an image where a track has a keyframe (a person placed or edited it);
frames CVAT only interpolated are left out and counted in `notes`. On such a frame each point
is taken as CVAT showed it, one the annotator left untouched included (they saw it there, as
SLEAP takes every point of an instance a person edited); an outside point is unlabeled, an
occluded one occluded, an outside skeleton no animal. One animal per image: the first track
with a keyframe there, further ones counted. Images are named `<video stem>/img<frame:05d>.png`,
as Keyloop names extracted frames, so a later import or upload of the video lines up. Pixels
come from the upload's frame images, else from the task's video (`cvat_frames`); whenever that
video is in the upload the items claim their frames of it (`Item.video_frame`): it becomes a
project video with the frames linked (`services/import_videos.py`). Of a "CVAT for images"
file every frame with a skeleton is imported, and a note says interpolated ones are among them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import PurePosixPath

from backend.errors import BadInput
from backend.formats.common import Dataset, FrameClaim, Item, Keypoint, UploadVideo, video_folder
from backend.formats.cvat_frames import FRAME_NAME, FrameSources
from backend.formats.cvat_xml import points, skeleton_schema

_LISTED = 5


@dataclass(frozen=True)
class Task:
    """What `<meta>` says about the task's frames."""

    name: str
    mode: str
    source: str | None  # the video's file name
    size: tuple[int, int] | None  # `<original_size>`
    start: int
    stop: int | None
    step: int


@dataclass(frozen=True)
class Labeled:
    """The one skeleton of a frame that becomes its label."""

    origin: str  # "annotations.xml: <track id='0'> frame 12", for messages
    points: list[Keypoint]


def read(where: str, document: ET.Element, wanted: str | None, sources: FrameSources) -> Dataset:
    """A "CVAT for video" file: the frames where a track has a keyframe."""
    task = _task(where, document)
    if task.mode == "annotation":
        raise BadInput(
            f"{where}: a CVAT for video file of an image task, which numbers the task's images "
            "without naming them; in CVAT, export the task as 'CVAT for images 1.1'"
        )
    dataset = skeleton_schema(where, document, wanted)
    _add_frames(where, dataset, task, _keyframes(where, document, dataset, task), sources)
    return dataset


def of_video_task(document: ET.Element) -> bool:
    """Whether `<meta>` is a video task's (`<mode>interpolation</mode>`, in a task's, a job's or
    a project's task's meta): its "CVAT for images" export names frames, not files."""
    return any((m.text or "").strip() == "interpolation" for m in document.iterfind("meta//mode"))


def read_images(
    where: str, document: ET.Element, wanted: str | None, sources: FrameSources
) -> Dataset:
    """A video task exported as "CVAT for images": every frame with a skeleton, interpolated or
    not (the file cannot tell), the frame number read from the image's name."""
    task = _task(where, document)
    dataset = skeleton_schema(where, document, wanted)
    frames: dict[int, Labeled] = {}
    further = 0
    for image in document.iter("image"):
        skeletons = [s for s in image.findall("skeleton") if s.get("label") == dataset.name]
        if not skeletons:
            continue  # a frame CVAT lists because it is the task's, not a label
        name = image.get("name") or ""
        origin = f"{where}: <image name={name!r}>"
        found = FRAME_NAME.fullmatch(name)
        if found is None:
            raise BadInput(f"{origin}: not a frame of the video task (frame_NNNNNN)")
        frames[_frame(origin, found[1], task)] = Labeled(
            origin, points(origin, skeletons[0], dataset)
        )
        further += len(skeletons) - 1
    if frames:
        dataset.notes.append(
            f"{where}: {_count(len(frames), 'frame')} with a {dataset.name} skeleton imported, "
            "those CVAT interpolated between keyframes included: a video task's 'CVAT for "
            "images 1.1' export does not tell keyframes from interpolated frames; export the "
            "task as 'CVAT for video 1.1' to import only keyframes"
        )
    _notes(where, dataset, further=further)
    _add_frames(where, dataset, task, frames, sources)
    return dataset


def _add_frames(
    where: str, dataset: Dataset, task: Task, frames: dict[int, Labeled], sources: FrameSources
) -> None:
    """The labeled frames as items named `<video stem>/img<frame:05d>`, their pixels from the
    upload's frame images, else decoded from the task's video, whose frames they claim."""
    video = sources.video(task.source)
    missing = [n for n in frames if sources.image(n) is None]
    if missing and video is None and len(missing) == len(frames):
        raise BadInput(_no_frames(where, task, frames, sources))
    decoder = sources.decoder(where, video, missing, task.size) if missing and video else None
    upload = UploadVideo(video, where) if video is not None else None
    stem = video_folder(task.source or video or task.name) or "video"
    width, height = task.size or (None, None)
    for n, labeled in sorted(frames.items()):
        image = sources.image(n)
        if image is None and decoder is None:
            continue  # counted below
        suffix = PurePosixPath(image).suffix.lower() if image is not None else ".png"
        name = f"{stem}/img{n:05d}{suffix}"
        item = Item(image or name, labeled.points, width, height, labeled.origin, name=name)
        if image is None and decoder is not None:
            item.load_image = decoder.loader(labeled.origin, n)
        if upload is not None:
            item.video_frame = FrameClaim(upload, n)
        dataset.items.append(item)
    if upload is not None and dataset.items:
        dataset.videos = [upload]
    if missing and decoder is None:
        dataset.notes.append(
            f"{where}: labeled frames without their image in the upload "
            f"(images/frame_NNNNNN.PNG) skipped: {_listed(sorted(missing))}"
        )


def _task(where: str, document: ET.Element) -> Task:
    found = document.find("meta")
    meta = found if found is not None else ET.Element("meta")
    task = _first(meta.find("task"), meta.find("job"))
    if task is None and meta.find("project") is not None:
        tasks = meta.findall("project/tasks/task")
        if len(tasks) != 1:
            raise BadInput(
                f"{where}: a CVAT project export of {len(tasks)} tasks; export the task of "
                "each video on its own"
            )
        task = tasks[0]
    if task is None:
        task = ET.Element("task")
    step = re.fullmatch(r"\s*(?:step\s*=\s*(\d+))?\s*", task.findtext("frame_filter") or "")
    if step is None or int(step[1] or 1) < 1:
        raise BadInput(f"{where}: <frame_filter> {task.findtext('frame_filter')!r} is not step=N")
    stop = task.findtext("stop_frame")
    return Task(
        name=(task.findtext("name") or "").strip(),
        mode=(task.findtext("mode") or "").strip(),
        source=(task.findtext("source") or meta.findtext("source") or "").strip() or None,
        size=_size(where, _first(task.find("original_size"), meta.find("original_size"))),
        start=_number(where, "start_frame", task.findtext("start_frame") or "0"),
        stop=_number(where, "stop_frame", stop) if stop and stop.strip() else None,
        step=int(step[1] or 1),
    )


def _first(*elements: ET.Element | None) -> ET.Element | None:
    return next((e for e in elements if e is not None), None)


def _size(where: str, element: ET.Element | None) -> tuple[int, int] | None:
    if element is None:
        return None
    width, height = element.findtext("width") or "", element.findtext("height") or ""
    if not (width.strip().isdigit() and height.strip().isdigit() and int(width) and int(height)):
        raise BadInput(f"{where}: <original_size> is {width!r} x {height!r}, not a frame size")
    return int(width), int(height)


def _number(where: str, what: str, text: str) -> int:
    if not text.strip().isdigit():
        raise BadInput(f"{where}: <{what}> {text!r} is not a frame number")
    return int(text)


def _keyframes(
    where: str, document: ET.Element, dataset: Dataset, task: Task
) -> dict[int, Labeled]:
    """The first keyframed, visible skeleton of each frame; notes count what is left out."""
    frames: dict[int, Labeled] = {}
    interpolated: set[int] = set()
    other_tracks = further = outside = 0
    for track in document.findall("track"):
        if track.get("label") != dataset.name or track.find("skeleton") is None:
            other_tracks += 1
            continue
        seen: set[int] = set()
        for shape in track.findall("skeleton"):
            origin = f"{where}: <track id={track.get('id')!r}>"
            n = _frame(origin, shape.get("frame"), task)
            origin = f"{origin} frame {n}"
            if n in seen:
                raise BadInput(f"{origin}: the track has two skeletons on that frame")
            seen.add(n)
            elements = shape.findall("points")
            gone = shape.get("outside") == "1" or all(e.get("outside") == "1" for e in elements)
            keyed = shape.get("keyframe") == "1" or any(e.get("keyframe") == "1" for e in elements)
            if gone:
                outside += 1 if keyed else 0
            elif not keyed:
                interpolated.add(n)
            elif n in frames:
                further += 1
            else:
                frames[n] = Labeled(origin, points(origin, shape, dataset))
    _notes(
        where,
        dataset,
        interpolated=len(interpolated - frames.keys()),
        other_tracks=other_tracks,
        further=further,
        outside=outside,
    )
    return frames


def _frame(origin: str, text: str | None, task: Task) -> int:
    if text is None or not text.strip().isdigit():
        raise BadInput(f"{origin}: frame={text!r} is not a frame number")
    n = int(text)
    if n < task.start or (task.stop is not None and n > task.stop) or (n - task.start) % task.step:
        last = "" if task.stop is None else f" to {task.stop}"
        raise BadInput(
            f"{origin}: frame {n} is not a frame of the task (frames {task.start}{last}, "
            f"every {task.step})"
        )
    return n


def _notes(
    where: str,
    dataset: Dataset,
    *,
    interpolated: int = 0,
    other_tracks: int = 0,
    further: int = 0,
    outside: int = 0,
) -> None:
    said = [
        (
            interpolated,
            "frame",
            "CVAT interpolated between keyframes left out (only keyframes are labels)",
        ),
        (
            further,
            f"further {dataset.name} skeleton",
            "on labeled frames skipped (one animal per image)",
        ),
        (outside, "keyframe", f"where the {dataset.name} is outside the view skipped"),
        (other_tracks, "track", "of other labels skipped"),
    ]
    for n, what, why in said:
        if n:
            dataset.notes.append(f"{where}: {_count(n, what)} {why}")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _no_frames(where: str, task: Task, frames: dict[int, Labeled], sources: FrameSources) -> str:
    video = f"the video {task.source!r}" if task.source else "the task's video"
    others = sources.videos()
    has = f" (it has {', '.join(others)})" if others else ""
    return (
        f"{where}: {video} is not in the upload{has}, nor are the images of its "
        f"{_count(len(frames), 'labeled frame')} (images/frame_{min(frames):06d}.PNG, ...); in "
        "CVAT, export the task as 'CVAT for video 1.1' with 'Save images' checked, or upload "
        f"{task.source or 'the video'} beside {where}"
    )


def _listed(frames: list[int]) -> str:
    shown = ", ".join(str(n) for n in frames[:_LISTED])
    return shown + (f" and {len(frames) - _LISTED} more" if len(frames) > _LISTED else "")
