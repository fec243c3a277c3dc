"""The `fast` preset's ONNX Runtime models (int8, or plain fp32 for networks int8 costs too
much), built from checkpoints once and cached on disk.

An int8 ONNX model is derived from a checkpoint's own weights (see engine/onnx_int8.py),
so it is not shipped: it is built on first use (about a minute on two cores for the
shipped detector) and cached under the user's cache folder, keyed by the weights, the
model card, the input size and the onnxruntime version. Activation ranges are calibrated on
generated data (training/synth: scenes for a detector, word crops for a recognizer), so
building needs no data set; on the ICDAR 2015 validation photos this costs the detector
about 0.01 H-mean against calibrating on real photos.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ocrstudio.engine.card import ModelCard

RECIPE = "int8-qdq-synth-v2"  # bump when calibration or quantisation settings change
FP32_RECIPE = "fp32-folded-v1"  # the same export, BatchNorms folded, not quantised
CALIBRATION_SCENES = 8
CALIBRATION_WORD_BATCHES = 8  # of 16 words each
# Each fine-tune makes new weights and so a new cached model (10-20 MB): past this many
# bytes the least recently used go, or a person's loop would fill the disk.
CACHE_BYTES = 1 << 30


def cache_dir() -> Path:
    """$OCRSTUDIO_CACHE_DIR, else $XDG_CACHE_HOME/ocrstudio, else ~/.cache/ocrstudio."""
    env = os.environ.get("OCRSTUDIO_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ocrstudio"


def int8_path(checkpoint: Path, limit_side: int = 0, quantized: bool = True) -> Path:
    """Where the int8 (or plain fp32) ONNX model of `checkpoint` (a detector at
    `limit_side`) is cached."""
    import onnxruntime

    from ocrstudio.engine.checkpoint import weight_files

    h = hashlib.sha256()
    for part in weight_files(checkpoint):
        with part.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    # the fp32 export takes any input size; only int8 is calibrated at one
    size, recipe = (limit_side, RECIPE) if quantized else (0, FP32_RECIPE)
    h.update(f"{size}|{onnxruntime.__version__}|{recipe}".encode())
    return cache_dir() / ("int8" if quantized else "fp32") / f"{h.hexdigest()[:24]}.onnx"


def _scene_batches(card: ModelCard, limit_side: int) -> Iterator[np.ndarray]:
    """Generated scenes at the preset's size, through the detector predictor's own
    preprocessing (so calibration sees exactly what inference will feed)."""
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.training.synth.scenes import SceneSynth, SceneSynthConfig

    predictor = DetectionPredictor.from_card(None, card, device="cpu", limit_side=limit_side)
    synth = SceneSynth(SceneSynthConfig(size=(limit_side, limit_side)), seed=20261121)
    for i in range(CALIBRATION_SCENES):
        yield predictor.normalize(predictor.prepare([synth[i].image])[0])


def _word_batches(model: Any) -> Iterator[np.ndarray]:
    """Generated word crops, through the recognition predictor's own preprocessing."""
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.training.synth.words import WordSynth

    predictor = RecognitionPredictor(model, device="cpu")
    synth = WordSynth(seed=20261121)
    for b in range(CALIBRATION_WORD_BATCHES):
        yield predictor.prepare([synth[b * 16 + i].image for i in range(16)]).numpy()


def int8_model(checkpoint: Path, limit_side: int = 0, quantized: bool = True) -> Path:
    """The cached int8 model for `checkpoint` (a detector needs its `limit_side`), built
    first if missing; with `quantized=False` the plain fp32 ONNX export (no calibration:
    ONNX Runtime's fp32 kernels alone, for networks int8 costs too much accuracy)."""
    out = int8_path(checkpoint, limit_side, quantized)
    if out.is_file():
        with contextlib.suppress(OSError):  # a read-only cache is still read
            os.utime(out)  # used now: the last to go when the cache is pruned
        return out
    built = _build(checkpoint, out, limit_side, quantized)
    prune(cache_dir(), CACHE_BYTES, keep=built)
    return built


def prune(folder: Path, limit: int, keep: Path) -> list[Path]:
    """Remove the least recently used models under `folder` (both kinds) until they hold
    at most `limit` bytes, never `keep`; returns what went. Another process may be
    pruning or building beside this one: a file already gone is skipped."""
    models = []
    for path in folder.glob("*/*.onnx"):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        models.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in models)
    gone = []
    for _, size, path in sorted(models):
        if total <= limit:
            break
        if path == keep:
            continue
        path.unlink(missing_ok=True)
        total -= size
        gone.append(path)
    return gone


def _build(checkpoint: Path, out: Path, limit_side: int, quantized: bool) -> Path:
    """Export `checkpoint` to `out`: fp32 as it is, or int8 calibrated on generated data."""
    import torch

    from ocrstudio.engine.detection import as_detector
    from ocrstudio.engine.detection.fuse import fold_batchnorm
    from ocrstudio.engine.onnx_int8 import build_int8, export_onnx
    from ocrstudio.engine.recognition import as_ctc_model
    from ocrstudio.engine.zoo import load_model

    model, card = load_model(checkpoint, device="cpu")
    model.eval()
    fold_batchnorm(model)
    kind = "detector" if card.role == "detector" else "recognizer"
    net = as_detector(model) if kind == "detector" else as_ctc_model(model)
    if kind == "detector":
        example = torch.zeros(1, 3, 256, 256)
    else:
        spec = as_ctc_model(model).config.input
        example = torch.zeros(1, spec.channels, spec.height, spec.width)
    if not quantized:
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_suffix(f".{os.getpid()}.part")  # another process may build it too
        export_onnx(net, part, kind, example)
        return part.replace(out)
    batches = _scene_batches(card, limit_side) if kind == "detector" else _word_batches(model)
    return build_int8(net, out, kind, example, batches)
