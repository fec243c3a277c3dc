"""A detector on ONNX Runtime with int8 weights and activations: the `fast` preset on a CPU.

The torch detector (BatchNorm folded) is exported to ONNX with its probability map as the
only output, then quantised statically (QDQ, per-channel int8 weights, uint8 activations)
with activation ranges calibrated on images the caller supplies. On a CPU with AVX-512 VNNI
this runs a VGG16 DBNet about three times faster than torch in fp32. The same weights are
used, so an int8 model is a derived artefact: build it once per checkpoint and cache it.

onnx, onnxruntime and torch.onnx are imported only when this is used (cold start).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

INPUT, OUTPUT = "images", "prob"


class _ProbOnly(nn.Module):
    """The detector's inference output alone (ONNX graphs return tensors, not dicts)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)["prob"]


def export_prob_onnx(model: nn.Module, path: Path, example_hw: tuple[int, int] = (544, 960)
                     ) -> Path:
    """ONNX export of `model` (eval, fp32) with dynamic batch, height and width."""
    import warnings

    wrapped = _ProbOnly(model.float().eval())
    example = torch.zeros(1, 3, *example_hw)
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        # the TorchScript exporter: no onnxscript needed, and it keeps dynamic sides simple
        torch.onnx.export(wrapped, (example,), str(path), input_names=[INPUT],
                          output_names=[OUTPUT], dynamic_axes={INPUT: axes, OUTPUT: axes},
                          opset_version=17, dynamo=False)
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

    `calibration` yields normalised (1, 3, H, W) float inputs; their activation ranges
    (min/max) fix the uint8 scales, so they should look like what the model will see.
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre))
        part = Path(tmp) / "int8.onnx"
        quantize_static(str(pre), str(part), _Feed(calibration),  # type: ignore[arg-type]
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        os.replace(part, out)  # readers never see a half-written model
    return out


def build_int8_detector(model: nn.Module, out: Path, calibration: Iterable[np.ndarray]
                        ) -> Path:
    """Export + quantise in one step; the fp32 ONNX is temporary."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = export_prob_onnx(model, Path(tmp) / "fp32.onnx")
        return quantize_int8(fp32, out, calibration)


class OnnxProbRunner:
    """Callable: normalised (N, 3, H, W) float32 -> probability map (N, 1, H, W)."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(path)
        self.session: Any = ort.InferenceSession(str(self.path), options,
                                                 providers=["CPUExecutionProvider"])

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {INPUT: np.ascontiguousarray(images, np.float32)})[0]
