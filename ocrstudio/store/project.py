"""The project row (name, settings) and the counts a project overview shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ocrstudio.store.db import StoreDataError
from ocrstudio.store.models import Image, ModelVersion, Project, Region, TrainingRun
from ocrstudio.store.records import ImageStatus, ProjectInfo, Split, SplitCounts


def stage_counts(session: Session) -> dict[str, int]:
    from ocrstudio.store.team import stage_counts as counts

    return counts(session)


def per_person(session: Session) -> dict[str, object]:
    from ocrstudio.store.team import per_person as people

    return dict(people(session))


def has_project(session: Session) -> bool:
    return bool(session.scalar(select(func.count(Project.id))))


def init_project(session: Session, name: str, settings: dict[str, Any]) -> None:
    if session.scalar(select(func.count(Project.id))):
        raise ValueError("this database already holds a project")
    session.add(Project(name=name, settings=dict(settings)))
    session.flush()


def _row(session: Session) -> Project:
    try:
        row = session.scalar(select(Project).order_by(Project.id).limit(1))
    except ValueError:  # the JSON column's text does not parse (a crafted database)
        raise StoreDataError("the project settings are not valid JSON") from None
    if row is None:
        raise StoreDataError("the database holds no project row")
    return row


def get_settings(session: Session) -> dict[str, Any]:
    """The settings object; a crafted value that is not a JSON object is refused."""
    settings = _row(session).settings
    if not isinstance(settings, dict):
        raise StoreDataError("the project settings are not a JSON object")
    return dict(settings)


def update_settings(session: Session, **changes: Any) -> dict[str, Any]:
    """Merge `changes` into the settings (a new dict, so the JSON change is saved)."""
    current = get_settings(session)
    row = _row(session)
    row.settings = {**current, **changes}
    session.flush()
    return dict(row.settings)


def project_info(session: Session) -> ProjectInfo:
    """Images, regions and verified counts per split, images per status."""
    row = _row(session)
    per_split = {s.value: SplitCounts() for s in Split}
    img_q = select(
        Image.split,
        func.count(Image.id),
        func.sum(case((Image.status == ImageStatus.VERIFIED, 1), else_=0)),
    ).group_by(Image.split)
    images = {Split(s).value: (n, nv or 0) for s, n, nv in session.execute(img_q)}
    reg_q = (
        select(Image.split, func.count(Region.id), func.sum(case((Region.verified, 1), else_=0)))
        .join(Image, Image.id == Region.image_id)
        .group_by(Image.split)
    )
    regions = {Split(s).value: (n, nv or 0) for s, n, nv in session.execute(reg_q)}
    for s in per_split:
        n_img, v_img = images.get(s, (0, 0))
        n_reg, v_reg = regions.get(s, (0, 0))
        per_split[s] = SplitCounts(
            images=n_img, regions=n_reg, verified_regions=v_reg, verified_images=v_img
        )
    per_status = {st.value: 0 for st in ImageStatus}
    for st, n in session.execute(select(Image.status, func.count(Image.id)).group_by(Image.status)):
        per_status[ImageStatus(st).value] = n
    return ProjectInfo(
        name=row.name,
        created=row.created,
        settings=get_settings(session),
        per_split=per_split,
        per_status=per_status,
        model_versions=int(session.scalar(select(func.count(ModelVersion.id))) or 0),
        training_runs=int(session.scalar(select(func.count(TrainingRun.id))) or 0),
        per_stage=stage_counts(session),
        per_person=per_person(session),
    )
