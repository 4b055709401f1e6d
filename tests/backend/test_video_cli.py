"""`keyloop videos`: add (a bad file is one line and exit 2), list, extract in-process."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from backend.cli import app
from backend.config import Settings
from backend.db.session import session_scope
from backend.models import Project
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
