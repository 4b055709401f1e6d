from __future__ import annotations

import colorsys
import itertools
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PALETTE = [
    "#e6194b",
    "#3cb44b",
    "#ffe119",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46f0f0",
    "#f032e6",
    "#bcf60c",
    "#fabebe",
    "#008080",
    "#e6beff",
    "#9a6324",
    "#fffac8",
    "#800000",
    "#aaffc3",
]


def _default_colors() -> Iterator[str]:
    """The palette, then hues a golden angle apart: never the same colour twice (a 17th
    keypoint is not red again like the first)."""
    yield from _PALETTE
    for i in itertools.count():
        hue = (20 + i * 137.508) % 360 / 360
        light = (0.5, 0.38, 0.62)[i % 3]
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.8)
        yield f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


class KeypointDef(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    color: str | None = None

    @field_validator("name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("keypoint name must not be blank")
        return v

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        if v is not None and not _COLOR.match(v):
            raise ValueError(f"color {v!r} is not #rrggbb")
        return v


class KeypointSchema(BaseModel):
    keypoints: list[KeypointDef] = Field(min_length=1, max_length=200)
    skeleton: list[tuple[str, str]] = []
    flip_pairs: list[tuple[str, str]] = []

    @model_validator(mode="after")
    def _consistent(self) -> KeypointSchema:
        names = [k.name for k in self.keypoints]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"keypoint names must be unique; repeated: {dupes}")
        known = set(names)
        for label, pairs in (("skeleton", self.skeleton), ("flip_pairs", self.flip_pairs)):
            for a, b in pairs:
                unknown = {a, b} - known
                if unknown:
                    raise ValueError(f"{label} names unknown keypoints {sorted(unknown)}")
                if a == b:
                    raise ValueError(f"{label} pairs a keypoint with itself: {a}")
        flipped = [n for pair in self.flip_pairs for n in pair]
        if len(set(flipped)) != len(flipped):
            raise ValueError("a keypoint appears in more than one flip pair")
        used = {k.color.lower() for k in self.keypoints if k.color is not None}
        generated = (c for c in _default_colors() if c not in used)
        for k in self.keypoints:
            if k.color is None:
                k.color = next(generated)
                used.add(k.color)
        return self

    @property
    def names(self) -> list[str]:
        return [k.name for k in self.keypoints]


class ProjectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    validation_fraction: float = Field(0.2, ge=0.0, le=0.9)
    # Beat's retraining policy (worker/policy.py): "once_a_model_exists" keeps it off until the
    # first version (an admin's first training) exists; 0 new annotations also means never.
    auto_retrain: Literal["off", "once_a_model_exists", "on"] = "once_a_model_exists"
    retrain_threshold: int = Field(10, ge=0)
    promote_policy: Literal["not_worse", "always", "manual"] = "not_worse"
    queue_strategy: Literal["uncertainty", "random", "sequential"] = "uncertainty"
    # The annotator marks an image done in the same step as the edit that places its last
    # keypoint (occluded counts as placed); off, "done" is always the annotator's own choice.
    auto_done: bool = False


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    keypoint_schema: KeypointSchema
    settings: ProjectSettings = ProjectSettings()


class ProjectUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    settings: ProjectSettings | None = None


class SchemaChange(BaseModel):
    keypoint_schema: KeypointSchema
    renames: dict[str, str] = {}
    allow_delete: bool = False


class ImageCounts(BaseModel):
    total: int = 0
    new: int = 0
    predicted: int = 0
    in_progress: int = 0
    done: int = 0
    train: int = 0
    validation: int = 0


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    keypoint_schema: KeypointSchema
    settings: ProjectSettings
    created_at: datetime
    updated_at: datetime
    counts: ImageCounts = ImageCounts()
