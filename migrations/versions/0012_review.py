"""review: who reviewed an image's labels, and when; second labels for agreement checks

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01

`images.reviewed_at` / `reviewed_by_id` are set by a review decision and cleared by any other
save of the annotation. The `reviewer` role needs no change (non-native enum, VARCHAR(16)),
nor does the revision origin `review` (VARCHAR(16)). `second_labels`: images sent to a second
annotator, their blind labels and the first labels they are compared with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_images_reviewed_by_id_users"),
            "users",
            ["reviewed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.create_table(
        "second_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("reference_author_id", sa.Integer(), nullable=True),
        sa.Column("reference_version", sa.Integer(), nullable=False),
        sa.Column("reference_keypoints", json, nullable=False),
        sa.Column("keypoints", json, nullable=True),
        sa.Column("labeled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"],
            name=op.f("fk_second_labels_project_id_projects"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["images.id"],
            name=op.f("fk_second_labels_image_id_images"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["annotator_id"], ["users.id"],
            name=op.f("fk_second_labels_annotator_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reference_author_id"], ["users.id"],
            name=op.f("fk_second_labels_reference_author_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_labels")),
        sa.UniqueConstraint(
            "image_id", "annotator_id", name="uq_second_labels_image_annotator"
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_second_labels_project_id"), "second_labels", ["project_id"])
    op.create_index(op.f("ix_second_labels_annotator_id"), "second_labels", ["annotator_id"])


def downgrade() -> None:
    op.drop_table("second_labels")
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_images_reviewed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("reviewed_at")
