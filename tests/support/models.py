"""The one pair of tiny test models: saved as checkpoints (`save_tiny_models`, behind
conftest's `tiny_ocr_models` fixture) or registered in a project and made active
(`make_tiny_models`, for pre-labeling, training and the ui tests)."""

from __future__ import annotations

from pathlib import Path

from ocrstudio import store
from ocrstudio.services.project import ProjectHandle

TINY_DET, TINY_REC = "dbnet_mobilenet_v3", "crnn_small"


def save_tiny_models(
    det_path: Path, rec_path: Path, detector: str = "dbnet_resnet18", recognizer: str = "crnn_small"
) -> tuple[Path, Path]:
    """The tiny models saved as checkpoints (a folder or a file each; the card names them
    after it): a detector sure that the whole image is text (one region per image,
    deterministically) and an untrained recognizer of a-z. For tests of the OCR plumbing,
    not of accuracy. Their cards are those `ocrstudio train` writes (`engine.zoo.new_card`)."""
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


def make_tiny_models(handle: ProjectHandle) -> tuple[str, str]:
    """Register the tiny test models in the project and make them active, as a person
    would (a new version is never active by itself); returns their names."""
    from ocrstudio.services.model_choice import set_active_model

    names = (f"tiny-{TINY_DET}", f"tiny-{TINY_REC}")
    save_tiny_models(handle.models_dir / names[0], handle.models_dir / names[1], TINY_DET, TINY_REC)
    with handle.write() as s:
        ids = [
            store.add_model_version(
                s, name, arch, role, f"models/{name}/model.safetensors", metrics={"demo": 1.0}
            ).id
            for name, arch, role in zip(
                names, (TINY_DET, TINY_REC), ("detector", "recognizer"), strict=True
            )
        ]
    for version_id, role in zip(ids, ("detector", "recognizer"), strict=True):
        set_active_model(handle, role, f"version:{version_id}")
    return names
