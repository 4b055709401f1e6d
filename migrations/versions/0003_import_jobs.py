"""import jobs: a job may have no project yet (an import that creates its project)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The job kind is a non-native enum (VARCHAR(16), no CHECK constraint), so the new kind
"import" needs no change here. On SQLite the batch copy keeps the partial unique index (its
WHERE clause is reflected).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Jobs of imports whose project was never created have nothing to point at.
    op.execute("DELETE FROM training_jobs WHERE project_id IS NULL")
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=False)
