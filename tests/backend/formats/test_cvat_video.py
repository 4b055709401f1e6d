"""CVAT for video 1.1: the keyframes of a video task's skeleton tracks become labeled images,
their pixels read from the export's frame images or decoded from the task's video, which then
becomes a project video with the frames linked to it. The same task exported as CVAT for images
1.1 (frames named `frame_NNNNNN`, no keyframes marked) is read alike, every frame with a
skeleton a label."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import BadInput
from backend.formats.bundle import Bundle
from backend.models import Image, Project, Video
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format
from backend.services.video_files import FrameReader, frame_png, probe
from tests.backend.formats.helpers import (
    blob_files,
    import_by_job,
    labels_of,
    links,
    make_user,
    run_import,
    stored_counts,
    video_rows,
    write_tree,
    zip_of,
)
from tests.video_support import write_video

FRAMES = 12  # the task's: frames 0 to 11 of the video
# A point as the annotator left it on a keyframe: x, y and "visible", "occluded" or "outside".
Point = tuple[float, float, str]
Keys = dict[int, dict[str, Point]]

MOUSE_SVG = (
    '&lt;line data-type="edge" data-node-from="1" data-node-to="2"&gt;&lt;/line&gt;'
    '&lt;circle r="1.5" data-type="element node" data-element-id="1" data-node-id="1" '
    'data-label-name="nose"&gt;&lt;/circle&gt;&lt;circle r="1.5" data-type="element node" '
    'data-element-id="2" data-node-id="2" data-label-name="tail"&gt;&lt;/circle&gt;'
)


@pytest.fixture
def store(blob_dir: Path) -> LocalBlobStore:
    return LocalBlobStore(blob_dir)


def meta(
    source: str | None = "arena.mp4",
    size: tuple[int, int] | None = (64, 48),
    start: int = 0,
    step: int = 1,
    labels: tuple[str, ...] = ("mouse",),
) -> str:
    """`<meta>` of a task export, in the order CVAT's `TaskData.meta_for_task` writes it."""
    count = len(range(start, FRAMES, step))
    stop = start + (count - 1) * step
    skeletons = "".join(
        f"<label><name>{name}</name><color>#ff0000</color><type>skeleton</type>"
        f"<attributes></attributes><svg>{MOUSE_SVG}</svg></label>"
        f"<label><name>nose</name><color>#00ff00</color><type>points</type>"
        f"<attributes></attributes><parent>{name}</parent></label>"
        f"<label><name>tail</name><color>#0000ff</color><type>points</type>"
        f"<attributes></attributes><parent>{name}</parent></label>"
        for name in labels
    )
    original = (
        f"<original_size><width>{size[0]}</width><height>{size[1]}</height></original_size>"
        if size
        else ""
    )
    source_tag = f"<source>{source}</source>" if source else ""
    return f"""<meta>
    <task>
      <id>31</id><name>arena session</name><size>{count}</size><mode>interpolation</mode>
      <overlap>5</overlap><bugtracker></bugtracker>
      <created>2024-05-02 09:14:03.120312+00:00</created>
      <updated>2024-05-03 16:40:11.501234+00:00</updated>
      <subset>default</subset><start_frame>{start}</start_frame><stop_frame>{stop}</stop_frame>
      <frame_filter>{f"step={step}" if step > 1 else ""}</frame_filter>
      <segments><segment><id>40</id><start>0</start><stop>{count - 1}</stop>
        <url>http://localhost:8080/api/jobs/40</url></segment></segments>
      <owner><username>ann</username><email>ann@example.org</email></owner><assignee></assignee>
      <labels>{skeletons}</labels>
      {original}
      {source_tag}
    </task>
    <dumped>2024-05-03 16:41:00.000000+00:00</dumped>
  </meta>"""


def _element(keys: Keys, name: str, frame: int) -> tuple[Point, bool] | None:
    """The point CVAT exports on `frame`: its own keyframe, else a linear guess from the point's
    keyframe before (whose flags it keeps) towards the next, else the last one propagated; none
    before its first keyframe or after an outside one (CVAT leaves those out of the export)."""
    frames = sorted(f for f in keys if name in keys[f])
    if frame in frames:
        return keys[frame][name], True
    before = [f for f in frames if f < frame]
    if not before or keys[before[-1]][name][2] == "outside":
        return None
    x0, y0, flag = keys[before[-1]][name]
    after = [f for f in frames if f > frame]
    if not after:
        return (x0, y0, flag), False
    x1, y1, _ = keys[after[0]][name]
    t = (frame - before[-1]) / (after[0] - before[-1])
    return (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, flag), False


def _shown(keys: Keys, frame: int) -> list[tuple[str, Point, bool]]:
    """The points of an animal CVAT exports on `frame`, each with whether it is keyed there."""
    found = [(name, _element(keys, name, frame)) for name in ("nose", "tail")]
    return [(name, *element) for name, element in found if element is not None]


def _point(name: str, point: Point, flags: str) -> str:
    x, y, flag = point
    return (
        f'<points label="{name}" {flags} outside="{int(flag == "outside")}" '
        f'occluded="{int(flag == "occluded")}" points="{x:.2f},{y:.2f}">\n      </points>'
    )


def track(track_id: int, keys: Keys, label: str = "mouse", step: int = 1, start: int = 0) -> str:
    """A skeleton track as `dump_as_cvat_interpolation` writes it: a `<skeleton>` on each task
    frame where a point has a shape, `keyframe="1"` on the frames where the whole skeleton was
    keyed (each point is a track of its own: a keyframe lists only the points moved there)."""
    shapes = []
    for frame in range(start, FRAMES, step):
        shown = _shown(keys, frame)
        if shown:
            whole = int(frame in keys and len(keys[frame]) == 2)
            body = "\n      ".join(
                _point(name, point, f'keyframe="{int(keyed)}"') for name, point, keyed in shown
            )
            shapes.append(
                f'<skeleton frame="{frame}" keyframe="{whole}" z_order="0">\n      {body}\n'
                "    </skeleton>"
            )
    inner = "\n    ".join(shapes)
    return f'<track id="{track_id}" label="{label}" source="manual">\n    {inner}\n  </track>'


def images(animals: list[Keys]) -> list[str]:
    """The task's frames as its "CVAT for images 1.1" export writes them
    (`dump_as_cvat_annotation`): an `<image>` per frame named `frame_NNNNNN`, no suffix, with
    each animal's skeleton wherever CVAT shows it, interpolated or keyed alike (no `keyframe`),
    left out where every point is outside."""
    written = []
    for frame in range(FRAMES):
        skeletons = []
        for keys in animals:
            shown = _shown(keys, frame)
            if all(point[2] == "outside" for _, point, _ in shown):
                continue
            body = "\n      ".join(_point(n, point, 'source="manual"') for n, point, _ in shown)
            skeletons.append(
                f'\n    <skeleton label="mouse" source="manual" z_order="0">\n      {body}\n'
                "    </skeleton>"
            )
        written.append(
            f'<image id="{frame}" name="frame_{frame:06d}" width="64" height="48">'
            f"{''.join(skeletons)}\n  </image>"
        )
    return written


def annotations_xml(elements: list[str], task_meta: str | None = None) -> bytes:
    head = '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  '
    body = "\n  ".join([task_meta or meta(), *elements])
    return f"{head}{body}\n</annotations>\n".encode()


# The first mouse: keyed whole on frame 2; on frame 5 only its nose was moved (the tail is
# CVAT's guess there); on frame 8 it left the view; on frame 10 it is back, tail occluded.
FIRST: Keys = {
    2: {"nose": (10.25, 20.5, "visible"), "tail": (30.0, 40.0, "visible")},
    5: {"nose": (16.5, 21.0, "visible")},
    8: {"nose": (16.5, 21.0, "outside"), "tail": (33.0, 40.0, "outside")},
    10: {"nose": (50.0, 10.75, "visible"), "tail": (40.0, 30.0, "occluded")},
}
# A second animal, keyed on two of those frames: one animal per image.
SECOND: Keys = {
    2: {"nose": (5.0, 5.0, "visible"), "tail": (6.0, 6.0, "visible")},
    10: {"nose": (7.0, 7.0, "visible"), "tail": (8.0, 8.0, "visible")},
}
XML = annotations_xml([track(0, FIRST), track(1, SECOND)])
EXPECTED = {
    "arena/img00002.png": [("visible", 10.25, 20.5), ("visible", 30.0, 40.0)],
    # The tail's keyframes are 2 and 8, so CVAT drew it 3/6 of the way on frame 5.
    "arena/img00005.png": [("visible", 16.5, 21.0), ("visible", 31.5, 40.0)],
    "arena/img00010.png": [("visible", 50.0, 10.75), ("occluded", 40.0, 30.0)],
}
# The same task exported as "CVAT for images 1.1": CVAT shows the first mouse on frames 2 to 7
# (5 keyed, 3, 4, 6 and 7 its guesses), not 8 (outside) or 9, and on 10 and 11.
IMAGES_XML = annotations_xml(images([FIRST]))
SHOWN = [2, 3, 4, 5, 6, 7, 10, 11]


def not_told(frames: int) -> str:
    return (
        f"annotations.xml: {frames} frames with a mouse skeleton imported, those CVAT "
        "interpolated between keyframes included: a video task's 'CVAT for images 1.1' export "
        "does not tell keyframes from interpolated frames; export the task as 'CVAT for video "
        "1.1' to import only keyframes"
    )


NOTES = [
    # 3, 4, 6, 7 and 11 of the first mouse; 8 and 9 the second one's alone.
    "annotations.xml: 7 frames CVAT interpolated between keyframes left out "
    "(only keyframes are labels)",
    "annotations.xml: 2 further mouse skeletons on labeled frames skipped (one animal per image)",
    "annotations.xml: 1 keyframe where the mouse is outside the view skipped",
]


def video_frames(video: Path) -> dict[int, bytes]:
    """Every frame as PNG, decoded as CVAT decodes a video task's frames (PyAV, in order)."""
    with FrameReader(video, probe(video, video.name).fps) as reader:
        return {frame.index: frame_png(frame) for frame in reader.sequential()}


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))


def export_dir(root: Path, xml: bytes = XML, *, images: bool, video: bool) -> Path:
    """What a user uploads: the export's annotations.xml, with the `images/` "Save images"
    writes (every frame of the task, as CVAT names them) and/or the task's video beside it."""
    root.mkdir(parents=True, exist_ok=True)
    mp4 = write_video(root / "arena.mp4", frames=FRAMES)
    if images:
        frames = video_frames(mp4)
        write_tree(root, {f"images/frame_{n:06d}.PNG": png for n, png in frames.items()})
    if not video:
        mp4.rename(root.parent / f"{root.name}-arena.mp4")  # kept for the test, not uploaded
    return write_tree(root, {"annotations.xml": xml})


def zipped(root: Path) -> Path:
    """The export folder as the zip CVAT's export downloads."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    export_zip = root.parent / "task_31_annotations.zip"
    export_zip.write_bytes(zip_of({p.relative_to(root).as_posix(): p.read_bytes() for p in files}))
    return export_zip


def stored_pixels(db: Session, store: LocalBlobStore, project_id: int) -> dict[str, np.ndarray]:
    rows = db.execute(
        select(Image.original_name, Image.checksum).where(Image.project_id == project_id)
    ).all()
    return {name: pixels(store.path_for(checksum).read_bytes()) for name, checksum in rows}


def holds_frames(
    db: Session, store: LocalBlobStore, project_id: int, video: Path, *frames: int
) -> bool:
    """Whether the project's images of `frames` have those frames' pixels of `video`."""
    decoded = video_frames(video)
    stored = stored_pixels(db, store, project_id)
    return all(np.array_equal(stored[f"arena/img{n:05d}.png"], pixels(decoded[n])) for n in frames)


def test_a_zip_with_frame_images_imports_the_keyframes_and_reads_only_their_images(
    db: Session, store: LocalBlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_zip = zipped(export_dir(tmp_path / "export", images=True, video=False))
    read: list[str] = []
    original = Bundle.read

    def spy(bundle: Bundle, name: str, limit: int) -> bytes:
        read.append(name)
        return original(bundle, name, limit)

    monkeypatch.setattr(Bundle, "read", spy)
    report = run_import(db, store, Format.cvat, export_zip, user=make_user(db), name="arena")
    assert sorted(read) == [
        "annotations.xml",
        "images/frame_000002.PNG",
        "images/frame_000005.PNG",
        "images/frame_000010.PNG",
    ]
    assert report.notes == NOTES
    assert (report.images_created, report.annotations_saved) == (3, 3)
    assert labels_of(db, report.project_id) == EXPECTED
    assert set(links(db, report.project_id).values()) == {(None, None)}  # no video uploaded
    assert db.get_one(Project, report.project_id).keypoint_names == ["nose", "tail"]
    assert holds_frames(db, store, report.project_id, tmp_path / "export-arena.mp4", 2, 5)


def test_the_xml_with_its_video_decodes_the_keyframes_and_links_them_to_the_video(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    """A task of every 3rd frame from frame 2: `frame` is the video's frame number, not the
    task's (frames 5 and 11 of the video are the task's 2nd and 4th)."""
    keys: Keys = {
        5: {"nose": (10.0, 20.0, "visible"), "tail": (30.0, 40.0, "occluded")},
        11: {"nose": (12.0, 22.0, "visible"), "tail": (31.0, 41.0, "visible")},
    }
    xml = annotations_xml([track(0, keys, step=3, start=2)], meta(start=2, step=3))
    root = export_dir(tmp_path / "export", xml, images=False, video=True)
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
    assert report.notes == [  # frame 8, between the keyframes
        "annotations.xml: 1 frame CVAT interpolated between keyframes left out "
        "(only keyframes are labels)"
    ]
    assert links(db, report.project_id) == {
        "arena/img00005.png": ("arena.mp4", 5),
        "arena/img00011.png": ("arena.mp4", 11),
    }
    (video,) = db.scalars(select(Video)).all()
    assert (video.project_id, video.frame_count, video.width, video.height) == (
        report.project_id,
        FRAMES,
        64,
        48,
    )
    frames = video_frames(root / "arena.mp4")
    stored = stored_pixels(db, store, report.project_id)
    for n in (5, 11):
        assert np.array_equal(stored[f"arena/img{n:05d}.png"], pixels(frames[n]))
        assert not np.array_equal(stored[f"arena/img{n:05d}.png"], pixels(frames[n - 1]))
    assert labels_of(db, report.project_id)["arena/img00005.png"] == [
        ("visible", 10.0, 20.0),
        ("occluded", 30.0, 40.0),
    ]


def test_frame_images_with_the_video_beside_them_are_linked_to_it(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = export_dir(tmp_path / "export", images=True, video=True)
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
    assert report.notes == NOTES
    assert links(db, report.project_id) == {
        f"arena/img{n:05d}.png": ("arena.mp4", n) for n in (2, 5, 10)
    }
    assert video_rows(db) == 1


@pytest.mark.parametrize(
    ("xml", "labeled"), [(XML, 3), (IMAGES_XML, 8)], ids=["cvat-for-video", "cvat-for-images"]
)
def test_the_xml_alone_is_refused_naming_the_video_and_both_ways_to_bring_the_frames(
    db: Session, store: LocalBlobStore, tmp_path: Path, xml: bytes, labeled: int
) -> None:
    root = write_tree(tmp_path / "up", {"annotations.xml": xml})
    before = stored_counts(db)
    with pytest.raises(BadInput) as refused:
        run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
    assert refused.value.status_code == 422
    assert refused.value.detail == (
        "annotations.xml: the video 'arena.mp4' is not in the upload, nor are the images of its "
        f"{labeled} labeled frames (images/frame_000002.PNG, ...); in CVAT, export the task as "
        "'CVAT for video 1.1' with 'Save images' checked, or upload arena.mp4 beside "
        "annotations.xml"
    )
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and video_rows(db) == 0


def test_labeled_frames_whose_images_are_missing_are_skipped_with_a_note(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = export_dir(tmp_path / "up", images=True, video=False)
    (root / "images/frame_000005.PNG").unlink()
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
    assert report.notes == [
        *NOTES,
        "annotations.xml: labeled frames without their image in the upload "
        "(images/frame_NNNNNN.PNG) skipped: 5",
    ]
    assert sorted(labels_of(db, report.project_id)) == ["arena/img00002.png", "arena/img00010.png"]


def test_another_video_in_the_upload_is_not_taken_for_the_tasks(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    root = export_dir(tmp_path / "up", images=False, video=True)
    (root / "arena.mp4").rename(root / "other.mp4")
    with pytest.raises(BadInput, match=r"'arena\.mp4' is not in the upload \(it has other\.mp4\)"):
        run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")


def test_the_label_option_picks_the_skeleton_and_tracks_of_others_are_counted(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    rat: Keys = {4: {"nose": (1.0, 2.0, "visible"), "tail": (3.0, 4.0, "visible")}}
    tracks = [track(0, FIRST), track(1, rat, label="rat")]
    xml = annotations_xml(tracks, meta(labels=("mouse", "rat")))
    root = export_dir(tmp_path / "up", xml, images=True, video=False)
    with pytest.raises(BadInput, match=r"expected one skeleton label in <meta>, found"):
        run_import(db, store, Format.cvat, root, user=make_user(db), name="both")
    db.rollback()
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="rat", label="rat")
    assert labels_of(db, report.project_id) == {
        "arena/img00004.png": [("visible", 1.0, 2.0), ("visible", 3.0, 4.0)]
    }
    assert "annotations.xml: 1 track of other labels skipped" in report.notes


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (
            XML.replace(b'<points label="tail"', b'<points label="paw"', 1),
            "annotations.xml: <track id='0'> frame 2: point label 'paw' is not in skeleton 'mouse'",
        ),
        (
            XML.replace(b'<skeleton frame="5"', b'<skeleton frame="five"', 1),
            "annotations.xml: <track id='0'>: frame='five' is not a frame number",
        ),
        (
            XML.replace(b'<skeleton frame="3"', b'<skeleton frame="2"', 1),
            "annotations.xml: <track id='0'> frame 2: the track has two skeletons on that frame",
        ),
        (
            XML.replace(b"<stop_frame>11</stop_frame>", b"<stop_frame>9</stop_frame>"),
            "annotations.xml: <track id='0'>: frame 10 is not a frame of the task "
            "(frames 0 to 9, every 1)",
        ),
        (
            XML.replace(b"<width>64</width>", b"<width>640</width>"),
            "annotations.xml: <track id='0'> frame 2: the file says 640x48 but the image is 64x48",
        ),
        (
            XML.replace(b"<height>48</height>", b"<height>x</height>"),
            "annotations.xml: <original_size> is '64' x 'x', not a frame size",
        ),
        (
            XML.replace(b"<mode>interpolation</mode>", b"<mode>annotation</mode>"),
            "annotations.xml: a CVAT for video file of an image task",
        ),
        (
            IMAGES_XML.replace(b'name="frame_000002"', b'name="frames/a.png"'),
            "annotations.xml: <image name='frames/a.png'>: not a frame of the video task "
            "(frame_NNNNNN)",
        ),
        (
            IMAGES_XML.replace(b"<stop_frame>11</stop_frame>", b"<stop_frame>9</stop_frame>"),
            "annotations.xml: <image name='frame_000010'>: frame 10 is not a frame of the task "
            "(frames 0 to 9, every 1)",
        ),
    ],
    ids=[
        "unknown-point",
        "bad-frame",
        "frame-twice",
        "frame-past-stop",
        "other-size",
        "bad-size",
        "image-task",
        "images-export-not-a-frame",
        "images-export-frame-past-stop",
    ],
)
def test_a_file_that_does_not_hold_together_is_refused_and_nothing_is_stored(
    db: Session, store: LocalBlobStore, tmp_path: Path, xml: bytes, message: str
) -> None:
    root = export_dir(tmp_path / "up", xml, images=True, video=False)
    before = stored_counts(db)
    with pytest.raises(BadInput) as refused:
        run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
    assert refused.value.detail.startswith(message)
    db.rollback()
    assert stored_counts(db)[1:] == before[1:] and blob_files(store.root) == []


def test_a_video_that_is_not_the_task_s_fails_the_import_and_stores_nothing(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    """The frames' pixels come from the video: one of another size than `<original_size>`,
    one that ends before the labeled frames, or none at all is no video of the task."""
    root = export_dir(tmp_path / "up", images=False, video=True)
    other_size = XML.replace(b"<width>64</width>", b"<width>80</width>")
    cases: list[tuple[bytes, Callable[[Path], object], str]] = [
        (
            other_size,
            lambda _: None,
            r"<original_size> says the frames are 80x48, but arena\.mp4's",
        ),
        (XML, lambda p: write_video(p, frames=8), r"frame 10: arena\.mp4 has no frame 10 \(its"),
        (XML, lambda p: p.write_bytes(b"not a video\n"), r"^arena\.mp4: not a readable video"),
    ]
    for xml, change_video, message in cases:
        (root / "annotations.xml").write_bytes(xml)
        change_video(root / "arena.mp4")
        with pytest.raises(BadInput, match=message):
            run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
        db.rollback()
        assert blob_files(store.root) == [] and video_rows(db) == 0


def test_a_job_export_names_no_video_and_takes_the_one_in_the_upload(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    """A job's export keeps `<original_size>` under `<meta>` and has no `<source>`."""
    job_meta = meta(source=None, size=None).replace("<task>", "<job>").replace("</task>", "</job>")
    xml = XML.replace(meta().encode(), job_meta.encode()).replace(
        b"<dumped>", b"<original_size><width>64</width><height>48</height></original_size><dumped>"
    )
    root = export_dir(tmp_path / "up", xml, images=False, video=True)
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="job")
    assert links(db, report.project_id)["arena/img00010.png"] == ("arena.mp4", 10)


def test_a_project_export_of_several_tasks_is_refused(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    """A project's labels are the project's; each task keeps its own meta."""
    task = meta().split("<task>")[1].split("</task>")[0]
    labels = "<labels>" + task.split("<labels>")[1].split("</labels>")[0] + "</labels>"
    task = task.replace(labels, "")
    project = f"<meta><project>{labels}<tasks><task>{task}</task><task>{task}</task></tasks>"
    xml = XML.replace(meta().split("<dumped>")[0].encode(), f"{project}</project>".encode())
    root = export_dir(tmp_path / "up", xml, images=True, video=False)
    with pytest.raises(BadInput, match=r"a CVAT project export of 2 tasks; export the task"):
        run_import(db, store, Format.cvat, root, user=make_user(db), name="p")


def test_the_admin_page_s_import_sends_the_video_with_the_xml_and_links_its_frames(
    live_admin: TestClient, tmp_path: Path
) -> None:
    root = export_dir(tmp_path / "up", images=False, video=True)
    files = [(p.name, p.read_bytes()) for p in sorted(root.iterdir())]
    job = import_by_job(live_admin, "cvat", files)
    assert job["progress"]["report"]["notes"] == NOTES
    (listed,) = live_admin.get(f"/api/v1/projects/{job['project_id']}/videos").json()
    assert (listed["original_name"], listed["frame_images"], listed["frames_labeled"]) == (
        "arena.mp4",
        3,
        3,
    )


# A video task exported as "CVAT for images 1.1": CVAT names its frames `frame_000012`, without
# the suffix of the frame images it saves, and marks no keyframes.


def test_a_video_task_exported_as_cvat_for_images_imports_every_frame_a_skeleton_is_on(
    db: Session, store: LocalBlobStore, tmp_path: Path
) -> None:
    export_zip = zipped(export_dir(tmp_path / "export", IMAGES_XML, images=True, video=False))
    report = run_import(db, store, Format.cvat, export_zip, user=make_user(db), name="arena")
    assert report.notes == [not_told(8)]
    labels = labels_of(db, report.project_id)
    assert sorted(labels) == [f"arena/img{n:05d}.png" for n in SHOWN]
    assert {name: labels[name] for name in EXPECTED} == EXPECTED
    assert labels["arena/img00003.png"] == [("visible", 12.33, 20.67), ("visible", 30.5, 40.0)]
    assert set(links(db, report.project_id).values()) == {(None, None)}  # no video uploaded
    assert holds_frames(db, store, report.project_id, tmp_path / "export-arena.mp4", 2, 3)


@pytest.mark.parametrize("frame_images", [True, False], ids=["frame-images", "video-only"])
def test_a_video_task_s_cvat_for_images_export_beside_its_video_links_the_frames(
    db: Session, store: LocalBlobStore, tmp_path: Path, frame_images: bool
) -> None:
    """Without the frame images, the frames are decoded from the video."""
    xml = annotations_xml(images([FIRST, SECOND]))  # the second mouse alone on frames 8 and 9
    root = export_dir(tmp_path / "up", xml, images=frame_images, video=True)
    report = run_import(db, store, Format.cvat, root, user=make_user(db), name="arena")
    assert report.notes == [
        not_told(10),
        "annotations.xml: 8 further mouse skeletons on labeled frames skipped "
        "(one animal per image)",
    ]
    assert links(db, report.project_id) == {
        f"arena/img{n:05d}.png": ("arena.mp4", n) for n in range(2, FRAMES)
    }
    assert video_rows(db) == 1
    assert labels_of(db, report.project_id)["arena/img00008.png"] == [
        ("visible", 6.5, 6.5),
        ("visible", 7.5, 7.5),
    ]
    assert holds_frames(db, store, report.project_id, root / "arena.mp4", 2, 8)
