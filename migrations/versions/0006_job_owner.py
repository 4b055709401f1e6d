"""job owner: the process running a job (host, pid, start time, takeovers)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

A worker records itself when it claims a job, so a redelivered task, a restarted worker or a
cancel on the same host can tell at once that the process running the job is gone, instead
of waiting for the heartbeat timeout. Existing rows have no owner: the timeout applies.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "owner",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.drop_column("owner")
