"""`keyloop videos`: add (a bad file is one line and exit 2; imported frames that are the
video's are linked), list, extract in-process; and `keyloop export sleap --sleap-video video`
and `keyloop export dlc --videos` of the extracted frames."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from backend.cli import app
from backend.config import Settings
from backend.db.session import session_scope
from backend.models import Annotation, Image, Project
from tests.backend.formats.helpers import frames_of, links, project_files, write_tree
from tests.backend.formats.test_transfer_cli import _ready
from tests.video_support import write_video

runner = CliRunner()


def test_add_list_and_extract_frames_from_the_command_line(
    live_settings: Settings, tmp_path: Path
) -> None:
    with session_scope(live_settings.database_url) as session:
        session.add(
            Project(name="p", description="", keypoint_schema={"keypoints": []}, settings={})
        )
    clip = write_video(tmp_path / "cage.mp4", frames=30, fps=10)
    added = runner.invoke(app, ["videos", "add", "1", str(clip)])
    assert added.exit_code == 0, added.output
    assert "video 1: cage.mp4, 64x48, 10 fps, 30 frames, 3.0 s" in added.output

    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    refused = runner.invoke(app, ["videos", "add", "1", str(bad)])
    assert refused.exit_code == 2 and "notes.mp4: not a readable video" in refused.output

    extracted = runner.invoke(
        app, ["videos", "extract", "1", "--method", "uniform", "--count", "3"]
    )
    assert extracted.exit_code == 0, extracted.output
    assert "added 3 frame(s)" in extracted.output and "[0, 14, 29]" in extracted.output
    listed = runner.invoke(app, ["videos", "list", "1"])
    assert "cage.mp4\t30 frames\t10 fps\t3 in the project" in listed.output


def test_adding_a_video_links_the_imported_frames_that_are_its_own(
    live_settings: Settings, tmp_path: Path
) -> None:
    clip = write_video(tmp_path / "cam1.mp4", frames=40)
    third, sixth = frames_of(clip, 3, 6)
    frames = {"cam1": {"img03.png": third, "img05.png": sixth}}  # img05.png holds frame 6
    folder = write_tree(tmp_path / "reach", project_files(frames, {}))
    args = ["import", "dlc", str(folder), "--new-project", "reach", "--user", _ready()]
    assert runner.invoke(app, args).exit_code == 0

    added = runner.invoke(app, ["videos", "add", "1", str(clip)])
    assert added.exit_code == 0, added.output
    assert "linked 1 of the 2 images named as its frames: [3]" in added.output
    assert "not linked: 1 whose pixels differ from that frame's (cam1/img05.png)" in added.output
    with session_scope(live_settings.database_url) as session:
        assert links(session, 1) == {
            "cam1/img03.png": ("cam1.mp4", 3),
            "cam1/img05.png": (None, None),
        }


def test_export_sleap_video_backed_from_the_command_line(
    live_settings: Settings, tmp_path: Path
) -> None:
    schema = {"keypoints": [{"name": "nose"}, {"name": "tail"}]}
    with session_scope(live_settings.database_url) as session:
        session.add(Project(name="p", description="", keypoint_schema=schema, settings={}))
    clip = write_video(tmp_path / "cage.mp4", frames=30, fps=10)
    assert runner.invoke(app, ["videos", "add", "1", str(clip)]).exit_code == 0
    args = ["videos", "extract", "1", "--method", "uniform", "--count", "2"]
    assert runner.invoke(app, args).exit_code == 0
    with session_scope(live_settings.database_url) as session:
        frame = session.scalars(select(Image).order_by(Image.frame_index.desc())).first()
        assert frame is not None and frame.frame_index == 29
        points = [{"x": 4.0, "y": 5.0, "visibility": "visible", "source": "human"}]
        session.add(Annotation(image_id=frame.id, keypoints=points * 2))

    out = tmp_path / "out.zip"
    args = ["export", "sleap", str(out), "--project", "1", "--sleap-video", "video"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["cage.mp4", "labels.slp"]
    refused = runner.invoke(app, [*args[:-1], "mp4"])
    assert refused.exit_code == 2 and "mp4" in refused.output

    dlc = tmp_path / "dlc"
    done = runner.invoke(app, ["export", "dlc", str(dlc), "--project", "1", "--videos"])
    assert done.exit_code == 0, done.output
    assert (dlc / "videos" / "cage.mp4").read_bytes() == clip.read_bytes()
    wrong = runner.invoke(app, ["export", "sleap", str(out), "--project", "1", "--videos"])
    assert wrong.exit_code != 0 and "applies to DeepLabCut" in wrong.output
