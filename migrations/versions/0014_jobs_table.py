"""jobs table: `training_jobs` renamed to `jobs` (it holds every kind of job), with its
indexes and constraints and the foreign keys that point to it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_ACTIVE_TRAIN = sa.text("kind = 'train' AND state IN ('queued', 'running')")
# The table's own foreign keys (column, referred table, ondelete), and those of other tables
# that point at it (table, column; ON DELETE SET NULL): their names say the table's name.
OWN_FOREIGN_KEYS = (("project_id", "projects", "CASCADE"), ("requested_by_id", "users", "SET NULL"))
REFERRING = (("model_versions", "training_job_id"), ("evaluations", "job_id"))


def upgrade() -> None:
    _rename("training_jobs", "jobs")


def downgrade() -> None:
    _rename("jobs", "training_jobs")


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        # Renaming keeps every constraint and index (they follow the table's oid); only
        # their names, which the naming convention derives from the table's, change.
        op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}")
        for column, referred, _ in OWN_FOREIGN_KEYS:
            op.execute(
                f"ALTER TABLE {new} RENAME CONSTRAINT fk_{old}_{column}_{referred} "
                f"TO fk_{new}_{column}_{referred}"
            )
        op.execute(f"ALTER INDEX ix_{old}_project_id RENAME TO ix_{new}_project_id")
        op.execute(f"ALTER INDEX uq_{old}_one_active_train RENAME TO uq_{new}_one_active_train")
        for table, column in REFERRING:
            op.execute(
                f"ALTER TABLE {table} RENAME CONSTRAINT fk_{table}_{column}_{old} "
                f"TO fk_{table}_{column}_{new}"
            )
        return
    # SQLite (3.26+) rewrote the references of other tables on the rename; constraint names
    # are in each table's SQL, so the tables are rebuilt with the new names.
    with op.batch_alter_table(new, recreate="always") as batch_op:
        batch_op.drop_constraint(f"pk_{old}", type_="primary")
        batch_op.create_primary_key(f"pk_{new}", ["id"])
        batch_op.drop_index(f"uq_{old}_one_active_train")
        batch_op.drop_index(f"ix_{old}_project_id")
        for column, referred, ondelete in OWN_FOREIGN_KEYS:
            batch_op.drop_constraint(f"fk_{old}_{column}_{referred}", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_{new}_{column}_{referred}", referred, [column], ["id"], ondelete=ondelete
            )
        batch_op.create_index(f"ix_{new}_project_id", ["project_id"], unique=False)
        batch_op.create_index(
            f"uq_{new}_one_active_train",
            ["project_id"],
            unique=True,
            sqlite_where=ONE_ACTIVE_TRAIN,
        )
    for table, column in REFERRING:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(f"fk_{table}_{column}_{old}", type_="foreignkey")
            batch_op.create_foreign_key(
                f"fk_{table}_{column}_{new}", new, [column], ["id"], ondelete="SET NULL"
            )
