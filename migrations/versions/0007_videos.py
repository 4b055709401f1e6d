"""videos: uploaded videos, and images that are frames of one

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10

`images.video_id` is ON DELETE SET NULL: deleting a video keeps its extracted frames and
their labels (each frame has its own PNG blob). The job kinds `extract_frames` and
`predict_video` need no change here (non-native enum, VARCHAR(16)).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=500), nullable=False),
        sa.Column("fps", sa.Double(), nullable=False),
        sa.Column("frame_count", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("codec", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_videos_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
        sa.UniqueConstraint("project_id", "checksum", name="uq_videos_project_checksum"),
    )
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_videos_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_videos_checksum"), ["checksum"], unique=False)
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("video_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("frame_index", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("frame_time", sa.Double(), nullable=True))
        batch_op.create_index(batch_op.f("ix_images_video_id"), ["video_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_images_video_id_videos"),
            "videos",
            ["video_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_unique_constraint("uq_images_video_frame", ["video_id", "frame_index"])


def downgrade() -> None:
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_constraint("uq_images_video_frame", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_images_video_id_videos"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_images_video_id"))
        batch_op.drop_column("frame_time")
        batch_op.drop_column("frame_index")
        batch_op.drop_column("video_id")
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_videos_checksum"))
        batch_op.drop_index(batch_op.f("ix_videos_project_id"))
    op.drop_table("videos")
