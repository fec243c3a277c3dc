"""The SQLAlchemy 2.0 typed tables of a project database.

The Alembic migrations in `store/migrations/versions` create exactly this schema (a test
compares them); change both together, with a new revision, never by editing an old one.
Timestamps are UTC. Enumerated columns are short strings with CHECK constraints (portable,
readable with any SQLite browser).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ocrstudio.store.records import ImageStatus, ModelRole, RunStatus, Split

# Named constraints, so later migrations can alter them in SQLite batch mode.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones) and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Who makes a change: the engine option a project handle sets (`store.db.as_author`); every
# insert and update of a region stamps it, so no write path can forget it.
AUTHOR_OPTION = "ocrstudio_author"


def current_author(context: Any) -> str:
    """The author of the statement being executed (a column default's callable)."""
    if context is None:
        return ""
    return str(context.execution_options.get(AUTHOR_OPTION, ""))[:100]


def _enum(cls: type, name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Project(Base):
    """One row: the project's name and settings (split ratios, seed...)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(default=utcnow)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Image(Base):
    __tablename__ = "image"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Relative to the project folder where possible, else absolute (POSIX separators).
    path: Mapped[str] = mapped_column(Text, unique=True)
    width: Mapped[int] = mapped_column(Integer)  # after the EXIF orientation
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    split: Mapped[Split] = mapped_column(_enum(Split, "split"), index=True)
    status: Mapped[ImageStatus] = mapped_column(
        _enum(ImageStatus, "status"), default=ImageStatus.NEW, index=True
    )
    orientation: Mapped[int] = mapped_column(Integer, default=1)  # EXIF tag 274, 1 = upright
    exif_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    # Clockwise quarter turns a person applied on top of EXIF (0-3); the stored size and
    # every region's coordinates are in the turned frame, the one the editor shows.
    rotation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A person set the reading order: geometric renumbering keeps it (new regions last).
    manual_order: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The team workflow (`records.Stage`): open -> labelled -> reviewed -> accepted, or back
    # to open with the reviewer's note; who labelled it and who moved it last.
    stage: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    stage_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    stage_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    labelled_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    regions: Mapped[list[Region]] = relationship(
        back_populates="image",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Region.order",
    )


class ModelVersion(Base):
    __tablename__ = "model_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    architecture: Mapped[str] = mapped_column(String(100))
    role: Mapped[ModelRole] = mapped_column(_enum(ModelRole, "role"))
    weights_path: Mapped[str] = mapped_column(Text)  # relative to the project folder
    charset: Mapped[str] = mapped_column(Text, default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="SET NULL"), index=True
    )
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created: Mapped[datetime] = mapped_column(default=utcnow)


class Region(Base):
    __tablename__ = "region"
    __table_args__ = (Index("ix_region_image_order", "image_id", "order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("image.id", ondelete="CASCADE"))
    polygon: Mapped[list[Any]] = mapped_column()  # [[x, y], ...], three points or more
    text: Mapped[str] = mapped_column(Text, default="")
    ignore: Mapped[bool] = mapped_column(Boolean, default=False)
    order: Mapped[int] = mapped_column(Integer, default=0)  # reading order within the image
    provenance: Mapped[str] = mapped_column(String(200), default="manual")
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[float | None] = mapped_column(Float)
    det_score: Mapped[float | None] = mapped_column(Float)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # A person drew or changed it: together with `verified`, what a model may not overwrite.
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who wrote the row last, and how many writes it has seen: an edit names the version it
    # was made on, and a newer one in the database is a conflict, never an overwrite.
    author: Mapped[str] = mapped_column(
        String(100), default=current_author, onupdate=current_author, server_default=""
    )
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", onupdate=literal_column("version") + 1
    )
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    image: Mapped[Image] = relationship(back_populates="regions")


class TrainingRun(Base):
    __tablename__ = "training_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    architecture: Mapped[str] = mapped_column(String(100))
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="SET NULL")
    )
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    image_ids: Mapped[list[Any]] = mapped_column(default=list)  # the dataset snapshot
    labels_hash: Mapped[str] = mapped_column(String(64), default="")  # of those images' labels
    status: Mapped[RunStatus] = mapped_column(
        _enum(RunStatus, "run_status"), default=RunStatus.QUEUED, index=True
    )
    history: Mapped[list[Any]] = mapped_column(default=list)  # one metrics dict per epoch
    result_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_version.id", ondelete="SET NULL")
    )
    error: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(default=utcnow)
    started: Mapped[datetime | None] = mapped_column()
    finished: Mapped[datetime | None] = mapped_column()
    updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Lease(Base):
    """Something one member works on for a while: an image (`image:<id>`) or the project's
    training (`training`). Held until `expires` (server time), renewed while in use; a
    crashed holder's lease simply runs out."""

    __tablename__ = "lease"

    resource: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))  # the person, as the window shows it
    token: Mapped[str] = mapped_column(String(64))  # the holding process's own key
    acquired: Mapped[datetime] = mapped_column()
    expires: Mapped[datetime] = mapped_column(index=True)
