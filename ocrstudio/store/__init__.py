"""The project store: SQLite through SQLAlchemy 2.0, schema by Alembic migrations.

Query functions take a `Session` and return frozen records (`records.py`); ORM rows never
leave this package. They flush but never commit: the caller owns the transaction (one
per user action, one for a whole import), e.g. `with factory.begin() as session: ...`.
"""

from sqlalchemy.orm import Session  # the type callers pass back in, so they need no SQLAlchemy

from ocrstudio.store.db import (
    StoreDataError,
    as_author,
    database_errors,
    make_engine,
    open_engine,
    session_factory,
    upgrade,
)
from ocrstudio.store.files import (
    DatabaseState,
    check_database,
    new_database,
    private_file,
    publish,
    remove_database,
    remove_stale,
)
from ocrstudio.store.images import (
    NewImage,
    add_images,
    count_images,
    delete_image,
    get_image,
    image_ids_by_path,
    images_by_hash,
    list_images,
    resolve,
    set_image_path,
    set_image_split,
    set_image_status,
    set_images_status,
    set_splits,
    turned_images,
)
from ocrstudio.store.project import (
    get_settings,
    has_project,
    init_project,
    project_info,
    update_settings,
)
from ocrstudio.store.records import (
    ImageRecord,
    ImageStatus,
    ModelRole,
    ModelVersionRecord,
    ProjectInfo,
    RegionRecord,
    RunStatus,
    Split,
    SplitCounts,
    Stage,
    TrainingRunRecord,
)
from ocrstudio.store.regions import (
    add_region,
    add_regions,
    char_stats,
    delete_region,
    delete_regions_of_image,
    get_region,
    model_update_region,
    regions_of_image,
    regions_of_images,
    replace_regions,
    search_text,
    update_region,
    write_model_regions,
)
from ocrstudio.store.runs import (
    add_training_run,
    append_epoch,
    delete_training_run,
    get_training_run,
    labels_hash,
    list_training_runs,
    set_run_status,
)
from ocrstudio.store.server import (
    create_server_project,
    drop_project,
    is_server_url,
    open_server,
    public_url,
    server_engine,
    server_url,
)
from ocrstudio.store.versions import (
    add_model_version,
    delete_model_version,
    find_model_version,
    get_model_version,
    list_model_versions,
    set_model_metrics,
)

__all__ = [
    "DatabaseState", "Session", "StoreDataError", "check_database", "database_errors",
    "has_project", "new_database", "private_file", "publish", "remove_database", "remove_stale",
    "as_author", "create_server_project", "drop_project", "server_engine", "is_server_url",
    "open_server", "public_url", "server_url", "Stage",
    "ImageRecord", "ImageStatus", "ModelRole", "ModelVersionRecord", "NewImage", "ProjectInfo",
    "RegionRecord", "RunStatus", "Split", "SplitCounts", "TrainingRunRecord", "add_images",
    "add_model_version", "add_region", "add_regions", "add_training_run", "append_epoch",
    "char_stats", "count_images", "delete_image", "delete_model_version", "delete_region",
    "delete_regions_of_image", "delete_training_run", "find_model_version", "get_image",
    "get_model_version", "get_region", "get_settings", "get_training_run", "image_ids_by_path",
    "images_by_hash", "init_project", "labels_hash", "list_images", "list_model_versions",
    "list_training_runs", "make_engine", "model_update_region", "open_engine", "project_info",
    "regions_of_image", "regions_of_images", "replace_regions", "resolve", "search_text",
    "session_factory", "set_image_path", "set_image_split", "set_image_status",
    "set_images_status", "set_model_metrics", "set_run_status", "set_splits", "turned_images",
    "update_region", "update_settings", "upgrade", "write_model_regions"
]
