"""`keyloop import …` / `keyloop export …` against the configured (test) database."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from backend.cli import app
from backend.config import get_settings
from backend.db.base import utcnow
from backend.db.session import session_scope
from backend.models import Image, Project
from tests.backend.formats.helpers import (
    bad_crc_zip,
    coco_doc,
    image_bytes,
    shared,
    write_tree,
)

runner = CliRunner()
KPS = [(10.0, 12.0, 2), (20.0, 22.0, 1), (0, 0, 0), (30.0, 40.0, 2)]


def _ready() -> str:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    made = runner.invoke(
        app, ["users", "create", email, "--password", "long-enough", "--role", "admin"]
    )
    assert made.exit_code == 0, made.output
    return email


def _coco(root: Path, kps: list[tuple[float, float, int]] = KPS) -> Path:
    doc = coco_doc(
        [{"file": "a.png", "w": 64, "h": 48, "kps": kps}, {"file": "b.png", "w": 64, "h": 48}]
    )
    write_tree(root, {"annotations.json": json.dumps(doc).encode()})
    return write_tree(root / "images", {"a.png": image_bytes(1), "b.png": image_bytes(2)})


def _counts() -> tuple[int, int]:
    with session_scope(get_settings().database_url) as s:
        projects = s.scalar(select(func.count()).select_from(Project)) or 0
        return projects, s.scalar(select(func.count()).select_from(Image)) or 0


def test_imports_then_exports_every_format(tmp_path: Path) -> None:
    user = _ready()
    _coco(tmp_path / "in")
    name = f"cli-{tmp_path.name}"
    result = runner.invoke(
        app,
        [
            "import",
            "coco",
            str(tmp_path / "in" / "annotations.json"),
            str(tmp_path / "in" / "images"),
            "--new-project",
            name,
            "--user",
            user,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 images and 1 annotations imported" in result.output
    project_id = result.output.split("project ")[1].split(":")[0]
    out_json = tmp_path / "out.json"
    assert (
        runner.invoke(
            app, ["export", "coco", str(out_json), "--project", project_id, "--state", "done"]
        ).exit_code
        == 0
    )
    assert [i["file_name"] for i in json.loads(out_json.read_text())["images"]] == ["a.png"]
    for fmt in ("cvat", "dlc"):
        zipped = tmp_path / f"{fmt}.zip"
        done = runner.invoke(app, ["export", fmt, str(zipped), "--project", project_id])
        assert done.exit_code == 0, done.output
        assert len(zipfile.ZipFile(zipped).namelist()) >= 3
    folder = tmp_path / "dlc-dir"
    assert (
        runner.invoke(app, ["export", "dlc", str(folder), "--project", project_id]).exit_code == 0
    )
    again = runner.invoke(app, ["import", "dlc", str(folder), "--new-project", name + "-dlc"])
    assert again.exit_code == 0, again.output


def test_a_bad_import_exits_2_with_one_line_and_stores_nothing(tmp_path: Path) -> None:
    _ready()
    _coco(tmp_path / "in", [(10.0, 12.0, 2), (99.0, 22.0, 2), (0, 0, 0), (1.0, 1.0, 2)])
    before = _counts()
    result = runner.invoke(
        app, ["import", "coco", str(tmp_path / "in"), "--new-project", f"bad-{tmp_path.name}"]
    )
    assert result.exit_code == 2
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert "annotations.json: annotation 1 (image 'a.png'): keypoint left_ear at (99.0" in line
    assert _counts() == before


def test_needs_exactly_one_target_project(tmp_path: Path) -> None:
    _ready()
    result = runner.invoke(app, ["import", "coco", str(_coco(tmp_path))])
    assert result.exit_code == 2 and "exactly one of --project" in result.stderr


def test_a_damaged_zip_member_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    _ready()
    doc = coco_doc([{"file": "a.png", "w": 64, "h": 48, "kps": KPS}])
    entries = {"annotations.json": json.dumps(doc).encode(), "a.png": image_bytes(1)}
    (tmp_path / "in.zip").write_bytes(bad_crc_zip(entries, "a.png"))
    before = _counts()
    result = runner.invoke(app, ["import", "coco", str(tmp_path / "in.zip"), "--new-project", "z"])
    assert result.exit_code == 2, result.output
    (line,) = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert line.startswith("error: annotations.json: annotation 1 (image 'a.png'): in.zip: member")
    assert "'a.png' is damaged (Bad CRC-32" in line
    assert _counts() == before


def test_exports_of_a_selection_with_nothing_annotated_succeed(tmp_path: Path) -> None:
    user = _ready()
    _coco(tmp_path / "in")
    name = f"empty-{tmp_path.name}"
    args = ["import", "coco", str(tmp_path / "in"), "--new-project", name, "--user", user]
    assert runner.invoke(app, args).exit_code == 0
    with session_scope(get_settings().database_url) as s:
        project_id = s.scalar(select(Project.id).where(Project.name == name))
    for fmt in ("coco", "cvat", "dlc", "sleap"):
        out = tmp_path / f"{fmt}.zip"
        args = ["export", fmt, str(out), "--project", str(project_id), "--image-id", "999999"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (fmt, result.output)
        assert "exported 0 images" in result.stdout and zipfile.is_zipfile(out)


def test_sleap_packages_import_and_a_file_without_its_video_exits_2_in_one_line(
    tmp_path: Path,
) -> None:
    user = _ready()
    cropped = shared("sleap_io_js", "slp", "cropped_format_2_3.pkg.slp")
    args = ["import", "sleap", str(cropped), "--new-project", f"crop-{tmp_path.name}"]
    result = runner.invoke(app, [*args, "--user", user])
    assert result.exit_code == 0, result.output
    assert "1 images and 1 annotations imported" in result.stdout
    before = _counts()
    clip = shared("sleap_io_js", "slp", "clip.2node.slp")
    result = runner.invoke(app, ["import", "sleap", str(clip), "--new-project", "clip"])
    assert result.exit_code == 2
    (line,) = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert line.startswith("error: clip.2node.slp: frames come from the video 'clip.mp4'")
    assert _counts() == before


def test_label_studio_and_yolo_export_and_import_back_from_the_command_line(
    tmp_path: Path,
) -> None:
    user = _ready()
    _coco(tmp_path / "in")
    name = f"ls-{tmp_path.name}"
    made = runner.invoke(app, ["import", "coco", str(tmp_path / "in"), "--new-project", name])
    assert made.exit_code == 0, made.output
    project_id = made.output.split("project ")[1].split(":")[0]
    for fmt in ("label-studio", "yolo"):
        folder = tmp_path / fmt
        done = runner.invoke(app, ["export", fmt, str(folder), "--project", project_id])
        assert done.exit_code == 0 and "exported 2 images" in done.stdout, done.output
        args = ["import", fmt, str(folder), "--new-project", f"{name}-{fmt}", "--user", user]
        again = runner.invoke(app, args)
        assert again.exit_code == 0, again.output
        assert "2 images and 1 annotations imported" in again.stdout
    (tmp_path / "yolo" / "labels" / "train" / "a.txt").write_text("0 0.5 0.5\n")
    before = _counts()
    bad = runner.invoke(app, ["import", "yolo", str(tmp_path / "yolo"), "--new-project", "bad"])
    assert bad.exit_code == 2
    (line,) = [ln for ln in bad.stderr.splitlines() if ln.strip()]
    assert line.startswith("error: labels/train/a.txt: line 1: 3 values; expected 5 + 4x3")
    assert _counts() == before


def test_export_reviewed_keeps_only_images_a_reviewer_saw(tmp_path: Path) -> None:
    user = _ready()
    _coco(tmp_path / "in")
    name = f"reviewed-{tmp_path.name}"
    args = ["import", "coco", str(tmp_path / "in"), "--new-project", name, "--user", user]
    assert runner.invoke(app, args).exit_code == 0
    with session_scope(get_settings().database_url) as s:
        project_id = s.scalar(select(Project.id).where(Project.name == name))
        first = s.scalars(select(Image).where(Image.project_id == project_id)).first()
        assert first is not None
        first.reviewed_at = utcnow()
    export = ["export", "coco", "--project", str(project_id)]
    only = runner.invoke(app, [*export[:2], str(tmp_path / "r.json"), *export[2:], "--reviewed"])
    assert only.exit_code == 0 and "exported 1 images" in only.stdout, only.output
    rest = runner.invoke(
        app, [*export[:2], str(tmp_path / "n.json"), *export[2:], "--not-reviewed"]
    )
    assert rest.exit_code == 0 and "exported 1 images" in rest.stdout, rest.output
