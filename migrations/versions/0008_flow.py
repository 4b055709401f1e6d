"""labeling flow: where an annotation revision came from

Revision ID: 0008_flow
Revises: 0004
Create Date: 2026-11-30

`annotation_revisions.origin` says whether a save came from an editor (the annotator or the
API) or from an import, so the retraining policy counts only the former. Existing revisions
read as editor saves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_flow"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("annotation_revisions") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="editor")
        )


def downgrade() -> None:
    with op.batch_alter_table("annotation_revisions") as batch:
        batch.drop_column("origin")
