"""The typed SQLAlchemy models. Import from here so Alembic sees every table."""

from backend.db.base import Base
from backend.models.annotation import Annotation, AnnotationRevision
from backend.models.annotation_effort import AnnotationEffort
from backend.models.image import Image, ImageSplit, ImageState
from backend.models.label_suspect import LabelSuspect
from backend.models.login_attempt import LoginAttempt
from backend.models.ml import (
    Evaluation,
    Job,
    JobKind,
    JobState,
    ModelVersion,
    Prediction,
)
from backend.models.project import Project
from backend.models.second_label import SecondLabel
from backend.models.user import ApiToken, Role, User, UserSession
from backend.models.video import Video

__all__ = [
    "Annotation",
    "AnnotationEffort",
    "AnnotationRevision",
    "ApiToken",
    "Base",
    "Evaluation",
    "Image",
    "ImageSplit",
    "ImageState",
    "Job",
    "JobKind",
    "JobState",
    "LabelSuspect",
    "LoginAttempt",
    "ModelVersion",
    "Prediction",
    "Project",
    "Role",
    "SecondLabel",
    "User",
    "UserSession",
    "Video",
]
