"""labeling effort: per editor save, the counts the annotator's browser reported

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "placed", "moved", "accepted", "accepted_revoked",
    "occluded", "unlabeled", "predicted", "clicks",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "annotation_efforts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("active_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["annotation_revisions.id"],
            name=op.f("fk_annotation_efforts_revision_id_annotation_revisions"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"], ["model_versions.id"],
            name=op.f("fk_annotation_efforts_model_version_id_model_versions"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_efforts")),
        sa.UniqueConstraint("revision_id", name=op.f("uq_annotation_efforts_revision_id")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_annotation_efforts_model_version_id"), "annotation_efforts", ["model_version_id"]
    )


def downgrade() -> None:
    op.drop_table("annotation_efforts")
