"""active learning: per-image uncertainty and queue rank on predictions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uncertainty", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("queue_rank", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_predictions_version_queue_rank", ["model_version_id", "queue_rank"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_predictions_version_queue_rank")
        batch_op.drop_column("queue_rank")
        batch_op.drop_column("uncertainty")
