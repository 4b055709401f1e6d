"""`keyloop import FORMAT PATHS...` and `keyloop export FORMAT OUT`: other tools' files.

PATHS are annotation files, image folders and zips, in any mix (a DeepLabCut project folder,
`annotations.json images/`, a CVAT export zip, a SLEAP `.pkg.slp`, a Label Studio JSON export
with its images, a YOLO pose dataset folder). An import is one
transaction: on any error nothing is stored and the command exits with code 2.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import get_settings
from backend.db.session import session_scope
from backend.errors import BadInput, KeyloopError
from backend.formats.bundle import Bundle, DirSink, Sink, ZipSink
from backend.models import ImageSplit, ImageState, Role, User
from backend.services.export_videos import SleapVideo
from backend.services.projects import get_project
from backend.services.storage import LocalBlobStore
from backend.services.transfer import Format, import_files
from backend.services.transfer_export import (
    ExportFilter,
    check_export_options,
    coco_document,
    export,
)

transfer_app = typer.Typer()
import_app = typer.Typer(help="Import annotations from another tool.", no_args_is_help=True)
export_app = typer.Typer(help="Export annotations for another tool.", no_args_is_help=True)
transfer_app.add_typer(import_app, name="import")
transfer_app.add_typer(export_app, name="export")

PathsArg = Annotated[
    list[Path], typer.Argument(help="Annotation file(s), image folders and/or zips.")
]
ProjectOpt = Annotated[int | None, typer.Option("--project", help="Import into this project id.")]
NewProjectOpt = Annotated[
    str | None, typer.Option("--new-project", help="Create a project with the file's schema.")
]
LabelOpt = Annotated[
    str | None,
    typer.Option(help="COCO category / CVAT skeleton label / YOLO class when there are several."),
]
UserOpt = Annotated[
    str | None, typer.Option("--user", help="Author of the annotations (default: first admin).")
]


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _author(session: Session, email: str | None) -> User:
    query = select(User).where(User.is_active.is_(True))
    query = query.where(User.email == email) if email else query.where(User.role == Role.admin)
    user = session.scalar(query.order_by(User.id).limit(1))
    if user is None:
        raise BadInput(f"no active user {email}" if email else "no active admin; use --user")
    return user


def _run_import(
    fmt: Format,
    paths: list[Path],
    project_id: int | None,
    new_project: str | None,
    label: str | None,
    user: str | None,
) -> None:
    if (project_id is None) == (new_project is None):
        _fail("give exactly one of --project ID and --new-project NAME")
    settings = get_settings()
    try:
        with session_scope(settings.database_url) as session:
            author_id = _author(session, user).id
        with Bundle() as bundle, ExitStack() as bars:
            for path in paths:
                bundle.add_path(path)
            report = import_files(
                lambda: session_scope(settings.database_url),
                LocalBlobStore(settings.files_dir),
                settings,
                fmt,
                bundle,
                project_id=project_id,
                new_project_name=new_project,
                label=label,
                author_id=author_id,
                progress=_ProgressBar(bars),
            )
    except KeyloopError as exc:
        _fail(exc.detail)
        return
    typer.echo(
        f"project {report.project_id}: {report.images_created} images and "
        f"{report.annotations_saved} annotations imported, {len(report.duplicates)} duplicates"
    )
    for dup in report.duplicates:
        typer.echo(f"  duplicate {dup.filename} = image {dup.existing_image_id} ({dup.annotation})")
    for note in report.notes:
        typer.echo(f"  note: {note}")


# The import's phases that count items, and their bars' labels.
_BAR_LABELS = {"preparing": "importing", "videos": "matching frames to videos"}


class _ProgressBar:
    """typer's bar over the items being prepared, then over the images checked against
    their videos, each opened once its number is known."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.phase = ""
        self.update: Callable[[int], None] | None = None

    def __call__(self, phase: str, _done: int, total: int) -> None:
        if phase not in _BAR_LABELS:
            return
        if phase != self.phase:
            self.stack.close()  # the previous phase's bar ends its line
            bar = typer.progressbar(length=total, label=_BAR_LABELS[phase])
            self.update, self.phase = self.stack.enter_context(bar).update, phase
        assert self.update is not None
        self.update(1)


def _import_command(fmt: Format) -> None:
    def command(
        paths: PathsArg,
        project: ProjectOpt = None,
        new_project: NewProjectOpt = None,
        label: LabelOpt = None,
        user: UserOpt = None,
    ) -> None:
        _run_import(fmt, paths, project, new_project, label, user)

    command.__doc__ = f"Import {fmt.value.upper()} annotations and their images."
    import_app.command(fmt.value)(command)


def _export_command(fmt: Format) -> None:
    def command(
        out: Annotated[Path, typer.Argument(help="A .zip, a folder, or (COCO) a .json file.")],
        project: Annotated[int, typer.Option("--project", help="Project id.")],
        state: ImageState | None = None,
        split: ImageSplit | None = None,
        image_id: Annotated[list[int] | None, typer.Option(help="Only these images.")] = None,
        reviewed: Annotated[
            bool | None,
            typer.Option(
                "--reviewed/--not-reviewed",
                help="Only images a reviewer accepted or corrected (or only the others).",
            ),
        ] = None,
        predictions: Annotated[bool, typer.Option(help="Active model's predictions.")] = False,
        scorer: Annotated[
            str | None,
            typer.Option(
                help="DeepLabCut scorer (default: the one the project was imported with)."
            ),
        ] = None,
        sleap_video: Annotated[
            SleapVideo,
            typer.Option(
                help="SLEAP: embed video frames, or reference them in the video file "
                "(written beside labels.slp)."
            ),
        ] = SleapVideo.embedded,
        videos: Annotated[
            bool,
            typer.Option(
                help="DeepLabCut: also the video files the frames come from, under videos/."
            ),
        ] = False,
    ) -> None:
        where = ExportFilter(state, split, image_id, reviewed)
        _run_export(fmt, out, project, where, predictions, scorer, sleap_video, videos)

    command.__doc__ = f"Export a project's annotations as {fmt.value.upper()}."
    export_app.command(fmt.value)(command)


def _run_export(
    fmt: Format,
    out: Path,
    project_id: int,
    where: ExportFilter,
    predictions: bool,
    scorer: str | None = None,
    sleap_video: SleapVideo = SleapVideo.embedded,
    dlc_videos: bool = False,
) -> None:
    settings = get_settings()
    store = LocalBlobStore(settings.files_dir)
    try:
        check_export_options(fmt, predictions=predictions, dlc_videos=dlc_videos)
        with session_scope(settings.database_url) as session:
            project = get_project(session, project_id)

            def write_to(sink: Sink) -> int:
                return export(
                    session,
                    store,
                    project,
                    fmt,
                    sink,
                    where,
                    predictions=predictions,
                    scorer=scorer,
                    sleap_video=sleap_video,
                    dlc_videos=dlc_videos,
                )

            if out.suffix == ".json" and fmt is Format.coco:
                document = coco_document(session, project, where, predictions=predictions)
                out.write_text(json.dumps(document))
                count = len(document["images"])
            elif out.suffix == ".zip":
                with zipfile.ZipFile(out, "w") as archive:
                    count = write_to(ZipSink(archive))
            else:
                out.mkdir(parents=True, exist_ok=True)
                count = write_to(DirSink(out))
    except KeyloopError as exc:
        _fail(exc.detail)
        return
    typer.echo(f"exported {count} images to {out}")


for _fmt in Format:
    _import_command(_fmt)
    _export_command(_fmt)
