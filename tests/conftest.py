"""Shared fixtures. Tests run offscreen, on the CPU, with few threads so two xdist workers
share this 2-core machine fairly."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The suite never reads or writes a person's settings (recent projects, window layout):
# QSettings() finds its file under XDG_CONFIG_HOME, here a folder of the test run's own.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="ocrstudio-tests-config-")

SHARED_DATA = Path(
    os.environ.get("OCRSTUDIO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def _limit_threads() -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


_limit_threads()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real benchmark data); tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for `shared_data` is a `data` test, marked or not: `-m "not data"`
    (make test-fast) then leaves out every test that reads the real data."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.data)


@pytest.fixture(scope="module")
def tiny_ocr_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`save_tiny_models` in a temporary folder: (detector folder, recognizer file)."""
    root = tmp_path_factory.mktemp("models")
    return save_tiny_models(root / "det", root / "rec" / "model.safetensors")


# Imported after the environment above is set, as the ui helpers import the package.
from tests.support.models import save_tiny_models  # noqa: E402

# The throwaway PostgreSQL server of the team-project tests (tests/support/pgcluster.py).
from tests.support.pgcluster import pg_server, pg_url  # noqa: E402, F401

# The ui tests' window factory (tests/support/ui.py).
from tests.support.ui import make_window  # noqa: E402, F401
