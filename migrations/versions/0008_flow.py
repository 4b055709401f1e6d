"""labeling flow: where an annotation revision came from; version numbers per project

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

`annotation_revisions.origin` says whether a save came from an editor (the annotator or the
API) or from an import, so the retraining policy counts only the former. Existing revisions
read as editor saves.

`model_versions.number` numbers a project's versions 1, 2, … (the id counts across projects,
so a project's first model used to read "v2"); existing versions are numbered in id order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("annotation_revisions") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="editor")
        )
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE model_versions SET number = (
            SELECT COUNT(*) FROM model_versions AS earlier
            WHERE earlier.project_id = model_versions.project_id
              AND earlier.id <= model_versions.id
        )
        """
    )
    with op.batch_alter_table("model_versions") as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_model_versions_project_number", ["project_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_constraint("uq_model_versions_project_number", type_="unique")
        batch.drop_column("number")
    with op.batch_alter_table("annotation_revisions") as batch:
        batch.drop_column("origin")
