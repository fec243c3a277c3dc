"""Shared fixtures. Tests run offscreen, on the CPU, with few threads so two xdist workers
share this 2-core machine fairly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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
