"""Labeling effort: stored with each editor save that reports it (PUT .../annotation `effort`),
summed by GET /projects/{id}/effort per model version, annotator or day."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AnnotationEffort, Image, ModelVersion, Prediction, Project, Role, User
from backend.schemas.annotation import Point
from backend.services.annotations import save_annotation
from tests.backend.conftest import ClientFactory, png_bytes, upload

LABELED = [
    {"name": "nose", "x": 10, "y": 12, "visibility": "visible", "source": "prediction"},
    {"name": "left_eye", "x": 20, "y": 14, "visibility": "visible"},
    {"name": "right_eye", "x": 30, "y": 14, "visibility": "occluded"},
    {"name": "tail"},
]


def effort(**counts: Any) -> dict[str, Any]:
    return {"placed": 0, "moved": 0, "accepted": 0, "clicks": 0, "active_seconds": 0.0, **counts}


def _images(client: TestClient, project: dict[str, Any], count: int) -> list[int]:
    colors = ["red", "green", "blue", "white", "black"][:count]
    files = [(f"{i}.png", png_bytes(color=c)) for i, c in enumerate(colors)]
    return [int(c["id"]) for c in upload(client, project["id"], *files)["created"]]


def _save(client: TestClient, image_id: int, version: int, **body: Any) -> Any:
    return client.put(
        f"/api/v1/images/{image_id}/annotation",
        json={"version": version, "keypoints": LABELED, **body},
    )


def _version(db: Session, project_id: int, *, active: bool = True) -> ModelVersion:
    version = ModelVersion(
        project_id=project_id, backbone="b", config={}, metrics={"pck": 0.5}, labeled_count=2,
        unlabeled_count=0, labels_snapshot={}, path="/nonexistent", is_active=active,
    )  # fmt: skip
    db.add(version)
    db.commit()
    return version


def _report(client: TestClient, project: dict[str, Any], query: str = "") -> dict[str, Any]:
    r = client.get(f"/api/v1/projects/{project['id']}/effort{query}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_an_empty_project_reports_no_rows(admin: TestClient, project: dict[str, Any]) -> None:
    report = _report(admin, project)
    assert report == {
        "project_id": project["id"], "group": "version", "user_id": None, "rows": [],
        "unmeasured_saves": 0,
    }  # fmt: skip


def test_sums_saves_per_model_version_with_per_image_figures(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    a, b, c = _images(admin, project, 3)
    v1 = _version(db, project["id"])
    # Before any model: image a placed by hand in two saves (8 s and 4 s, 3 + 2 clicks).
    assert _save(admin, a, 0, effort=effort(placed=2, clicks=3, active_seconds=8.0)).is_success
    assert _save(admin, a, 1, effort=effort(occluded=1, clicks=2, active_seconds=4.0)).is_success
    # With v1's predictions: b accepted 3 of 3 offered; c accepted 2, one of them moved later.
    seen = {"model_version_id": v1.id}
    r = _save(
        admin, b, 0, effort=effort(accepted=3, predicted=3, clicks=1, active_seconds=2.0, **seen)
    )
    assert r.status_code == 200, r.text
    r = _save(
        admin,
        c,
        0,
        effort=effort(accepted=2, predicted=3, moved=1, clicks=4, active_seconds=9.5, **seen),
    )
    assert r.status_code == 200, r.text
    r = _save(
        admin,
        c,
        1,
        effort=effort(accepted_revoked=1, moved=1, clicks=1, active_seconds=1.5, **seen),
    )
    assert r.status_code == 200, r.text

    before, with_v1 = _report(admin, project)["rows"]
    assert (before["model_version_id"], before["model_version_number"]) == (None, None)
    assert (before["saves"], before["images"], before["placed"], before["occluded"]) == (2, 1, 2, 1)
    assert before["accepted_untouched_fraction"] is None  # nothing was offered
    assert before["clicks_per_image"] == 5.0 and before["seconds_per_image_mean"] == 12.0
    assert (with_v1["model_version_id"], with_v1["model_version_number"]) == (v1.id, v1.number)
    assert (with_v1["saves"], with_v1["images"], with_v1["predicted"]) == (3, 2, 6)
    # (3 + 2 - 1 revoked) of 6 offered keypoints were saved as predicted.
    assert with_v1["accepted_untouched_fraction"] == 4 / 6
    assert with_v1["clicks_per_image"] == 3.0  # (1 + 4 + 1) / 2
    assert with_v1["seconds_per_image_mean"] == 6.5  # b: 2 s, c: 11 s
    assert with_v1["seconds_per_image_median"] == 6.5
    assert with_v1["active_seconds"] == 13.0


def test_groups_by_annotator_and_day_and_filters_one_annotator(
    admin: TestClient, client_as: ClientFactory, project: dict[str, Any], db: Session
) -> None:
    annotator = client_as(Role.annotator)
    a, b = _images(admin, project, 2)
    assert _save(admin, a, 0, effort=effort(placed=3, clicks=3, active_seconds=10)).is_success
    assert _save(annotator, b, 0, effort=effort(placed=1, clicks=7, active_seconds=30)).is_success
    rows = _report(admin, project, "?group=annotator")["rows"]
    by_email = {row["email"]: row for row in rows}
    assert by_email["annotator1@example.com"]["clicks_per_image"] == 7
    assert by_email["admin0@example.com"]["placed"] == 3
    assert all(row["model_version_id"] is None and row["day"] is None for row in rows)
    annotator_id = db.scalar(select(User.id).where(User.email == "annotator1@example.com"))
    only = _report(admin, project, f"?group=version&user_id={annotator_id}")
    assert only["user_id"] == annotator_id
    assert [(r["saves"], r["clicks"]) for r in only["rows"]] == [(1, 7)]
    (day,) = _report(admin, project, "?group=day")["rows"]
    assert len(day["day"]) == 10 and day["saves"] == 2 and day["images"] == 2


def test_saves_without_effort_keep_working_and_are_counted_apart(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    (a,) = _images(admin, project, 1)
    r = _save(admin, a, 0)
    assert r.status_code == 200 and r.json()["version"] == 1
    assert db.scalar(select(AnnotationEffort.id)) is None
    report = _report(admin, project)
    assert report["rows"] == [] and report["unmeasured_saves"] == 1


def test_imported_annotations_are_never_counted(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    (a,) = _images(admin, project, 1)
    author = db.scalar(select(User).where(User.email == "admin0@example.com"))
    assert author is not None
    save_annotation(
        db, db.get_one(Project, project["id"]), db.get_one(Image, a),
        [Point.model_validate(p) for p in LABELED], True, 0, author, origin="import",
    )  # fmt: skip
    db.commit()
    report = _report(admin, project)
    assert report["rows"] == [] and report["unmeasured_saves"] == 0


def test_without_a_version_named_the_active_one_that_predicted_the_image_is_recorded(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    a, b = _images(admin, project, 2)
    version = _version(db, project["id"])
    db.add(Prediction(image_id=a, model_version_id=version.id, keypoints=[]))
    db.commit()
    assert _save(admin, a, 0, effort=effort(clicks=1)).is_success
    assert _save(admin, b, 0, effort=effort(clicks=1)).is_success  # b was never predicted
    assert _save(admin, a, 1, effort=effort(clicks=1, model_version_id=None)).is_success
    recorded = db.scalars(select(AnnotationEffort.model_version_id).order_by(AnnotationEffort.id))
    assert list(recorded) == [version.id, None, None]


def test_rejects_effort_that_does_not_fit_and_saves_nothing(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    (a,) = _images(admin, project, 1)
    other = admin.post(
        "/api/v1/projects",
        json={"name": "other", "keypoint_schema": {"keypoints": [{"name": "x"}]}},
    ).json()
    foreign = _version(db, other["id"])
    bad: list[tuple[dict[str, Any], str]] = [
        (effort(keystrokes=[1, 2]), "keystrokes"),
        (effort(clicks=-1), "clicks"),
        (effort(active_seconds=3600.5), "active_seconds"),
        (effort(placed=3, accepted=2), "placed"),  # 5 outcomes, 4 keypoints
        (effort(predicted=5), "predicted"),
        (effort(model_version_id=foreign.id), "model_version_id"),
        (effort(model_version_id=0), "model_version_id"),
    ]
    for body, field in bad:
        r = _save(admin, a, 0, effort=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (field, r.text)
    nan = '{"version": 0, "keypoints": [], "effort": {"active_seconds": NaN}}'
    r = admin.put(
        f"/api/v1/images/{a}/annotation",
        content=nan,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert admin.get(f"/api/v1/images/{a}/annotation").json()["version"] == 0
    assert db.scalar(select(AnnotationEffort.id)) is None


def test_only_admins_read_effort(client_as: ClientFactory, project: dict[str, Any]) -> None:
    annotator = client_as(Role.annotator)
    r = annotator.get(f"/api/v1/projects/{project['id']}/effort")
    assert r.status_code == 403
    r = client_as(Role.admin).get(f"/api/v1/projects/{project['id']}/effort?group=hour")
    assert r.status_code == 422


def test_deleting_an_image_deletes_its_effort(
    admin: TestClient, project: dict[str, Any], db: Session
) -> None:
    (a,) = _images(admin, project, 1)
    assert _save(admin, a, 0, effort=effort(placed=1, clicks=1)).is_success
    assert db.scalar(select(AnnotationEffort.id)) is not None
    assert admin.delete(f"/api/v1/images/{a}").status_code == 204
    db.expire_all()
    assert db.scalar(select(AnnotationEffort.id)) is None
    assert _report(admin, project)["rows"] == []
