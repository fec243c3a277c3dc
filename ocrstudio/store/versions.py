"""Model versions: the weights a project trained or imported, with their lineage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ocrstudio.store.models import ModelVersion
from ocrstudio.store.records import ModelRole, ModelVersionRecord


def _record(row: ModelVersion) -> ModelVersionRecord:
    return ModelVersionRecord(
        id=row.id,
        name=row.name,
        architecture=row.architecture,
        role=ModelRole(row.role),
        weights_path=row.weights_path,
        charset=row.charset,
        config=dict(row.config),
        parent_id=row.parent_id,
        metrics=dict(row.metrics),
        created=row.created,
    )


def add_model_version(
    session: Session,
    name: str,
    architecture: str,
    role: ModelRole | str,
    weights_path: str,
    charset: str = "",
    config: dict[str, Any] | None = None,
    parent_id: int | None = None,
    metrics: dict[str, Any] | None = None,
) -> ModelVersionRecord:
    row = ModelVersion(
        name=name,
        architecture=architecture,
        role=ModelRole(role),
        weights_path=weights_path,
        charset=charset,
        config=dict(config or {}),
        parent_id=parent_id,
        metrics=dict(metrics or {}),
    )
    session.add(row)
    session.flush()
    return _record(row)


def get_model_version(session: Session, version_id: int) -> ModelVersionRecord | None:
    row = session.get(ModelVersion, version_id)
    return None if row is None else _record(row)


def find_model_version(session: Session, name: str) -> ModelVersionRecord | None:
    row = session.scalar(select(ModelVersion).where(ModelVersion.name == name))
    return None if row is None else _record(row)


def list_model_versions(
    session: Session, role: ModelRole | str | None = None
) -> list[ModelVersionRecord]:
    """Oldest first, so the last of a role is the newest."""
    q = select(ModelVersion).order_by(ModelVersion.created, ModelVersion.id)
    if role is not None:
        q = q.where(ModelVersion.role == ModelRole(role))
    return [_record(r) for r in session.scalars(q)]


def set_model_metrics(
    session: Session, version_id: int, metrics: dict[str, Any]
) -> ModelVersionRecord:
    """Replace the metrics (a new JSON value, so the change is seen and saved)."""
    row = session.get(ModelVersion, version_id)
    if row is None:
        raise KeyError(f"no model version with id {version_id}")
    row.metrics = dict(metrics)
    session.flush()
    return _record(row)


def delete_model_version(session: Session, version_id: int) -> None:
    """Regions and runs that named it keep their text but lose the link (SET NULL);
    the weights file is the caller's to remove."""
    session.execute(delete(ModelVersion).where(ModelVersion.id == version_id))
