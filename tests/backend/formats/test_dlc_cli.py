"""`keyloop import dlc` / `keyloop export dlc --scorer` from the command line."""

from __future__ import annotations

from pathlib import Path

import yaml

from backend.cli import app
from tests.backend.formats.helpers import image_bytes, write_tree
from tests.backend.formats.test_dlc_h5 import project_with, with_object_column
from tests.backend.formats.test_transfer_cli import _counts, _ready, runner

CSV = b"""scorer,Ann,Ann,Ann,Ann
bodyparts,hand,hand,finger,finger
coords,x,y,x,y
labeled-data/v1/img1.png,1.5,2.5,,
"""


def test_a_crafted_h5_exits_2_with_one_line_and_runs_nothing(tmp_path: Path) -> None:
    _ready()
    marker = tmp_path / "payload-ran"
    root = project_with(tmp_path / "p", with_object_column(tmp_path / "crafted.h5", marker))
    before = _counts()
    result = runner.invoke(app, ["import", "dlc", str(root), "--new-project", "evil-h5"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    (line,) = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert line.startswith("error: labeled-data/v1/CollectedData_Ann.h5 (df_with_missing)")
    assert not marker.exists() and _counts() == before


def test_exports_with_the_imported_scorer_or_the_one_given(tmp_path: Path) -> None:
    user = _ready()
    root = write_tree(
        tmp_path / "lp",
        {"CollectedData.csv": CSV, "labeled-data/v1/img1.png": image_bytes(1)},
    )
    name = f"lp-{tmp_path.name}"
    made = runner.invoke(app, ["import", "dlc", str(root), "--new-project", name, "--user", user])
    assert made.exit_code == 0, made.output
    project_id = made.output.split("project ")[1].split(":")[0]
    default = tmp_path / "default"
    assert (
        runner.invoke(app, ["export", "dlc", str(default), "--project", project_id]).exit_code == 0
    )
    assert (default / "labeled-data/v1/CollectedData_Ann.h5").is_file()
    # Lightning Pose names no animal: the config's Task is the project's name.
    assert yaml.safe_load((default / "config.yaml").read_text())["Task"] == name
    given = tmp_path / "given"
    done = runner.invoke(
        app, ["export", "dlc", str(given), "--project", project_id, "--scorer", "Lab"]
    )
    assert done.exit_code == 0, done.output
    assert yaml.safe_load((given / "config.yaml").read_text())["scorer"] == "Lab"
    assert (given / "labeled-data/v1/CollectedData_Lab.csv").is_file()
    bad = runner.invoke(
        app, ["export", "dlc", str(given), "--project", project_id, "--scorer", "../x"]
    )
    assert bad.exit_code == 2 and "error: scorer '../x'" in bad.stderr
