"""Networks on ONNX Runtime with int8 weights and activations: the `fast` preset on a CPU.

A torch network (BatchNorm folded) is exported to ONNX with one tensor output (a
detector's probability map, a CTC recognizer's logits), then quantised statically (QDQ,
per-channel int8 weights, uint8 activations) with activation ranges calibrated on inputs
the caller supplies. On a CPU with AVX-512 VNNI this runs a VGG16 DBNet about three times
faster than torch in fp32. The weights are the checkpoint's own, so an int8 model is a
derived artefact: build it once per checkpoint and cache it (services/int8_cache.py).

onnx, onnxruntime and torch.onnx are imported only when this is used (cold start).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    from ocrstudio.engine.detection.protocol import Detector
    from ocrstudio.engine.recognition.protocol import CTCModel

INPUT, OUTPUT = "images", "output"


class _OneOutput(nn.Module):
    """A detector's probability map or a recognizer's logits alone (ONNX graphs return
    tensors, not dicts or token lists): what each contract's forward returns under that
    name without targets (a CTC model's "logits" are its `logits(images)`)."""

    def __init__(self, model: Detector | CTCModel, kind: str) -> None:
        super().__init__()
        self.model, self.key = model, "prob" if kind == "detector" else "logits"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)[self.key]


def export_onnx(model: Detector | CTCModel, path: Path, kind: str, example: torch.Tensor) -> Path:
    """ONNX export of `model` (eval, fp32) with dynamic batch and spatial sizes; `kind` is
    "detector" (output: probability map) or "recognizer" (a CTC model; output: logits,
    B x T x C)."""
    import warnings

    wrapped = _OneOutput(model.float().eval(), kind)
    in_axes = {0: "batch", 2: "height", 3: "width"}
    out_axes = in_axes if kind == "detector" else {0: "batch", 1: "steps"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        # the TorchScript exporter: no onnxscript needed, and it keeps dynamic sides simple
        torch.onnx.export(
            wrapped,
            (example,),
            str(path),
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: in_axes, OUTPUT: out_axes},
            opset_version=17,
            dynamo=False,
        )
    return path


class _Feed:
    """onnxruntime's CalibrationDataReader protocol over an iterable of NCHW float arrays."""

    def __init__(self, batches: Iterable[np.ndarray]) -> None:
        self._it: Iterator[np.ndarray] = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._it, None)
        return None if batch is None else {INPUT: np.ascontiguousarray(batch, np.float32)}

    def rewind(self) -> None:  # part of the protocol; calibration reads the feed once
        pass


def quantize_int8(fp32: Path, out: Path, calibration: Iterable[np.ndarray]) -> Path:
    """Static int8 quantisation of `fp32` into `out` (written atomically).

    `calibration` yields normalised NCHW float inputs; their activation ranges
    (min/max) fix the uint8 scales, so they should look like what the model will see.
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        pre = Path(tmp) / "pre.onnx"
        fp32 = _revive_dead_channels(fp32, Path(tmp) / "revived.onnx")
        # ONNX's own shape inference is enough for QDQ; ORT's symbolic one gives up on
        # PP-OCRv6's graphs and then dumps the model into the working directory
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        part = Path(tmp) / "int8.onnx"
        quantize_static(
            str(pre),
            str(part),
            _Feed(calibration),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            # a zero-range tensor would get a zero scale where ORT applies
            # this (not to per-channel weights: _revive_dead_channels does)
            extra_options={"MinimumRealRange": 1e-4},
        )
        os.replace(part, out)  # readers never see a half-written model
    return out


def _revive_dead_channels(src: Path, dst: Path) -> Path:
    """A copy of `src` whose all-zero convolution filters (pruned channels, as PaddleOCR
    ships them) hold 1e-8 instead: per-channel quantisation gives a zero range a zero
    scale, which turns the whole tensor into NaN. The outputs change by ~1e-8 x input."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    weights = {n.input[1] for n in model.graph.node if n.op_type == "Conv"}
    changed = False
    for t in model.graph.initializer:
        if t.name not in weights:
            continue
        w = numpy_helper.to_array(t)
        dead = ~np.abs(w.reshape(len(w), -1)).any(axis=1)
        if dead.any():
            w = w.copy()
            w[dead] = 1e-8
            t.CopyFrom(numpy_helper.from_array(w, t.name))
            changed = True
    if not changed:
        return src
    onnx.save(model, str(dst))
    return dst


def build_int8(
    model: Detector | CTCModel,
    out: Path,
    kind: str,
    example: torch.Tensor,
    calibration: Iterable[np.ndarray],
) -> Path:
    """Export + quantise in one step; the fp32 ONNX is temporary."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = export_onnx(model, Path(tmp) / "fp32.onnx", kind, example)
        return quantize_int8(fp32, out, calibration)


class OnnxRunner:
    """Callable: normalised NCHW float32 input -> the network's one output."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads sleep instead of spinning: the detector's and the recognizer's
        # sessions (and numpy between them) share the same cores, and a spinning pool
        # steals them from the next run (with the recognizer's numpy path, `fast` went
        # from 0.27 to 0.18 s a photo on 2 cores in bench_peers).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = Path(path)
        self.session: Any = ort.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {INPUT: np.ascontiguousarray(images, np.float32)})[0]
