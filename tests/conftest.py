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


@pytest.fixture(scope="module")
def tiny_ocr_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny detector sure that the whole image is text (one region per image) and a tiny
    untrained recognizer, saved as checkpoints: for tests of the OCR plumbing, not accuracy."""
    import torch

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.detection.zoo import detector_meta
    from ocrstudio.engine.zoo import get_spec

    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    spec = get_spec("dbnet_resnet18")
    cfg = spec.config("tiny")
    det = spec.build(cfg, None)
    with torch.no_grad():
        last = det.head.prob[-1]
        last.weight.zero_()
        last.bias.fill_(8.0)
    save_checkpoint(root / "det", det.state_dict(), detector_meta(spec.name, cfg))
    rspec = get_spec("crnn_small")
    rcfg = rspec.config("tiny")
    rec = rspec.build(rcfg, Charset("abcdefghijklmnopqrstuvwxyz"))
    save_checkpoint(root / "rec" / "model.safetensors", rec.state_dict(), {
        "architecture": "crnn_small", "role": "recognizer", "config": rcfg,
        "charset": rec.charset.to_meta()})
    return root / "det", root / "rec" / "model.safetensors"
