"""`ocrstudio models import`: a PaddleOCR ONNX file (PP-OCRv6 detector or recognizer,
RapidOCR's or a user's own paddle2onnx export) becomes an ocrstudio checkpoint folder,
usable at once as `--det DIR` / `--rec DIR`, in the GUI's model panel and as
`ocrstudio train --base DIR`. The file is read with `onnx`, never executed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ocrstudio.core.errors import InputError

if TYPE_CHECKING:
    from ocrstudio.engine.card import ModelCard

LICENCE = "PaddleOCR weights (Apache-2.0, PaddlePaddle); converted by ocrstudio's ONNX importer"


def import_model(
    path: str | Path, out: str | Path, dictionary: str | Path | None = None, name: str | None = None
) -> ModelCard:
    """Convert `path` into the checkpoint folder `out`; returns its card."""
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.importers.ppocr import import_onnx
    from ocrstudio.engine.zoo import count_parameters, get_spec
    from ocrstudio.training.api import checkpoint_card

    src, dest = Path(path), Path(out)
    if dest.exists() and not dest.is_dir():
        raise InputError("the output must be a folder", dest)
    imported = import_onnx(src, dictionary)
    spec = get_spec(imported.architecture)
    with src.open("rb") as f:  # as services.project hashes images
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    card = checkpoint_card(spec, imported.model, None, None)
    card = card.with_(
        name=name or src.stem,
        metrics={},
        params=count_parameters(imported.model),
        lineage={
            **card.lineage,
            "source": f"{src.name} (sha256 {digest[:16]})",
            "licence": LICENCE,
            "converted_tensors": imported.source["tensors"],
        },
        # PaddleOCR labels text lines: keep its boxes whole
        boxes="lines" if spec.role == "detector" else card.boxes,
    )
    fresh = not dest.exists()
    try:
        save_checkpoint(dest, imported.model.state_dict(), card)
    except OSError:  # a full disk: no folder of weights without their card
        if fresh:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    return card
