"""The `keyloop` command: run the app, migrate, manage users, and the model's research CLI."""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError

from backend.config import get_settings
from backend.db import migrate
from backend.db.session import session_scope
from backend.errors import KeyloopError
from backend.models import Role
from backend.services import users
from backend.transfer_cli import transfer_app
from backend.video_cli import videos_app

app = typer.Typer(
    help="Keyloop: keypoint annotation with a semi-supervised model in the loop.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(transfer_app)
app.add_typer(videos_app, name="videos")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.callback()
def _load_settings() -> None:
    """Fail with one readable line, not a traceback, when the environment is misconfigured."""
    try:
        get_settings()
    except ValidationError as exc:
        _fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), 2)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(get_settings().database_url, revision)


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (`base` empties the database)."""
    migrate.downgrade(get_settings().database_url, revision)


@users_app.command("create")
def users_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Role = Role.annotator,
) -> None:
    """Create a user account."""
    try:
        with session_scope(get_settings().database_url) as session:
            user = users.create_user(session, email, password, role)
            typer.echo(f"created {user.role.value} {user.email} (id {user.id})")
    except KeyloopError as exc:
        _fail(exc.detail, 2)


@users_app.command("ensure-admin")
def ensure_admin() -> None:
    """Create the first admin on an empty database (from KEYLOOP_ADMIN_*, else a one-time
    password is printed); does nothing when users exist."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        created = users.ensure_first_admin(session, settings.admin_email, settings.admin_password)
    if created is None:
        return
    user, password = created
    if settings.admin_password:
        typer.echo(f"keyloop: created admin {user.email} from KEYLOOP_ADMIN_* settings")
    else:
        typer.secho(
            f"keyloop: created admin {user.email} with one-time password: {password}\n"
            "         log in and change it (Users page), or set KEYLOOP_ADMIN_PASSWORD.",
            fg=typer.colors.YELLOW,
        )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    worker: Annotated[bool, typer.Option(help="Also run a Celery worker and beat.")] = True,
) -> None:
    """Migrate the database, create the first admin if needed, and run API + worker + beat."""
    from backend.serve import child_commands, run_children

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    ensure_admin()
    if not (settings.frontend_dist / "index.html").is_file():
        typer.echo("keyloop: frontend not built (npm run build in frontend/); serving the API only")
    typer.echo(f"keyloop: data in {settings.data_dir}; open http://{host}:{port}/")
    sys.exit(run_children(child_commands(settings, host, port, worker)))


@app.command()
def gc(
    dry_run: Annotated[
        bool, typer.Option(help="List what would be removed; remove nothing.")
    ] = False,
    grace_hours: Annotated[
        float, typer.Option(help="Leave anything younger than this (in-flight uploads).")
    ] = 24.0,
    job_retention_days: Annotated[
        float | None,
        typer.Option(help="Keep a finished job's folder this long [default: the setting, 7]."),
    ] = None,
) -> None:
    """Remove files no database row needs: blobs and thumbnails of deleted images, old job
    folders, model folders of deleted projects and versions; expired browser sessions and
    old failed-login counts."""
    from backend.services.garbage import collect_garbage

    settings = get_settings()
    if job_retention_days is None:
        job_retention_days = settings.job_retention_days
    if grace_hours < 0 or job_retention_days < 0:
        _fail("--grace-hours and --job-retention-days must be >= 0", 2)
    with session_scope(settings.database_url) as session:
        report = collect_garbage(
            session,
            settings,
            grace=timedelta(hours=grace_hours),
            job_retention=timedelta(days=job_retention_days),
            dry_run=dry_run,
        )
    verb = "would remove" if dry_run else "removed"
    for path in report.removed:
        typer.echo(f"{verb} {path}")
    typer.echo(f"{verb} {len(report.removed)} paths, {report.bytes_freed / 1e6:.1f} MB")
    typer.echo(f"{verb} {report.expired_sessions} expired sessions")
    typer.echo(f"{verb} {report.stale_login_attempts} old failed-login counts")


def _register_model_commands() -> None:
    """The research CLI lives with the model (`worker.cli`); torch is imported only when one
    of its commands runs, so `keyloop serve` and the API never load it."""
    try:
        ml_app = importlib.import_module("worker.cli").ml_app
    except ImportError:
        return
    for command in ml_app.registered_commands:
        app.registered_commands.append(command)


_register_model_commands()


if __name__ == "__main__":  # `python -m backend.cli`, as the tests run it
    app()
