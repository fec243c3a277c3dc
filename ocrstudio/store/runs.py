"""Training runs: what was trained on which snapshot, how it went, what it produced."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ocrstudio.store.models import Region, TrainingRun, utcnow
from ocrstudio.store.records import RunStatus, TrainingRunRecord

FINISHED = frozenset({RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED})


def _record(row: TrainingRun) -> TrainingRunRecord:
    return TrainingRunRecord(
        id=row.id,
        architecture=row.architecture,
        base_version_id=row.base_version_id,
        config=dict(row.config),
        image_ids=tuple(row.image_ids),
        labels_hash=row.labels_hash,
        status=RunStatus(row.status),
        history=tuple(dict(h) for h in row.history),
        result_version_id=row.result_version_id,
        error=row.error,
        created=row.created,
        started=row.started,
        finished=row.finished,
        updated=row.updated,
    )


def labels_hash(session: Session, image_ids: Sequence[int]) -> str:
    """A hash of the labels of these images as they are now, to tell later whether a
    snapshot's labels changed since a run used them."""
    h = hashlib.sha256()
    ids = sorted(set(image_ids))
    for start in range(0, len(ids), 500):
        q = (
            select(Region.image_id, Region.polygon, Region.text, Region.ignore, Region.order)
            .where(Region.image_id.in_(ids[start : start + 500]))
            .order_by(Region.image_id, Region.order, Region.id)
        )
        for row in session.execute(q):
            h.update(json.dumps(list(row), separators=(",", ":")).encode())
    return h.hexdigest()


def add_training_run(
    session: Session,
    architecture: str,
    image_ids: Sequence[int],
    base_version_id: int | None = None,
    config: dict[str, Any] | None = None,
) -> TrainingRunRecord:
    """A queued run with its dataset snapshot (the image ids and a hash of their labels)."""
    ids = [int(i) for i in image_ids]
    row = TrainingRun(
        architecture=architecture,
        base_version_id=base_version_id,
        config=dict(config or {}),
        image_ids=ids,
        labels_hash=labels_hash(session, ids),
        status=RunStatus.QUEUED,
    )
    session.add(row)
    session.flush()
    return _record(row)


def get_training_run(session: Session, run_id: int) -> TrainingRunRecord | None:
    row = session.get(TrainingRun, run_id)
    return None if row is None else _record(row)


def list_training_runs(
    session: Session, status: RunStatus | str | None = None
) -> list[TrainingRunRecord]:
    q = select(TrainingRun).order_by(TrainingRun.created, TrainingRun.id)
    if status is not None:
        q = q.where(TrainingRun.status == RunStatus(status))
    return [_record(r) for r in session.scalars(q)]


def _row(session: Session, run_id: int) -> TrainingRun:
    row = session.get(TrainingRun, run_id)
    if row is None:
        raise KeyError(f"no training run with id {run_id}")
    return row


def set_run_status(
    session: Session,
    run_id: int,
    status: RunStatus | str,
    error: str = "",
    result_version_id: int | None = None,
) -> TrainingRunRecord:
    """Move a run along: `running` stamps `started`, a finished status stamps `finished`."""
    row = _row(session, run_id)
    status = RunStatus(status)
    row.status = status
    if status is RunStatus.RUNNING and row.started is None:
        row.started = utcnow()
    if status in FINISHED:
        row.finished = utcnow()
    if error:
        row.error = error
    if result_version_id is not None:
        row.result_version_id = result_version_id
    session.flush()
    return _record(row)


def append_epoch(session: Session, run_id: int, metrics: dict[str, Any]) -> TrainingRunRecord:
    """Add one epoch's metrics to the history (a new list, so the JSON change is saved)."""
    row = _row(session, run_id)
    row.history = [*row.history, dict(metrics)]
    session.flush()
    return _record(row)


def delete_training_run(session: Session, run_id: int) -> None:
    session.execute(delete(TrainingRun).where(TrainingRun.id == run_id))
