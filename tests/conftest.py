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


def save_tiny_models(det_path: Path, rec_path: Path, detector: str = "dbnet_resnet18",
                     recognizer: str = "crnn_small") -> tuple[Path, Path]:
    """The one pair of tiny test models, saved as checkpoints (a folder or a file each; the
    card names them after it): a detector sure that the whole image is text (one
    region per image, deterministically) and an untrained recognizer of a-z. For tests of
    the OCR plumbing, not of accuracy. Their cards are those `ocrstudio train` writes
    (`engine.zoo.new_card`)."""
    import torch

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.zoo import get_spec, new_card

    def name(path: Path) -> str:
        return path.parent.name if path.suffix else path.name

    torch.manual_seed(0)
    spec = get_spec(detector)
    det = spec.build(spec.config("tiny"), None)
    with torch.no_grad():  # probability ~1 everywhere: one whole-image region
        last = det.head.prob[-1]
        last.weight.zero_()
        last.bias.fill_(8.0)
    save_checkpoint(det_path, det.state_dict(), new_card(spec, det, name(det_path)))
    rspec = get_spec(recognizer)
    rec = rspec.build(rspec.config("tiny"), Charset("abcdefghijklmnopqrstuvwxyz"))
    save_checkpoint(rec_path, rec.state_dict(), new_card(rspec, rec, name(rec_path)))
    return det_path, rec_path


@pytest.fixture(scope="module")
def tiny_ocr_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`save_tiny_models` in a temporary folder: (detector folder, recognizer file)."""
    root = tmp_path_factory.mktemp("models")
    return save_tiny_models(root / "det", root / "rec" / "model.safetensors")


# The throwaway PostgreSQL server of the team-project tests (tests/pgcluster.py).
from pgcluster import pg_server, pg_url  # noqa: E402, F401

# The ui tests' window factory (tests/ui_support.py).
from ui_support import make_window  # noqa: E402, F401
