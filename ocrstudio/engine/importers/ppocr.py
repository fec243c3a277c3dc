"""PaddleOCR ONNX files (PP-OCRv6 detector and recognizer, paddle2onnx exports) into
ocrstudio models, tensor by tensor. The file is read with `onnx` and never executed.

Reading: every weight tensor the graph consumes, in node order, is collected from the
initializers and Constant nodes (through Identity and Cast aliases): a Conv's weight and
bias, the bias Add after it, MatMul weights, the Mul and Add of a decomposed LayerNorm,
BatchNormalization's four tensors. Scalars and one-element vectors (activation
constants, attention scales, epsilons) and the inputs of shape ops are not weights; a
[1, 1, 1, 1] tensor is (the bias of a one-channel convolution).

Matching: the ocrstudio network runs once on a small input with hooks on its layers,
which lists its own tensors in execution order; the two lists must agree one for one in
shape (a [1, C, 1, 1] bias is a [C] bias; MatMul weights are Linear weights transposed).
Anything else is a graph this importer does not know, and it says where they part.

PaddleOCR feeds BGR; ocrstudio feeds RGB: the first convolution's input channels are
reversed on import, so the imported model is the same function of the same photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ocrstudio.core.errors import InputError

_SHAPE_OPS = {
    "Reshape",
    "Resize",
    "Slice",
    "Concat",
    "Expand",
    "Tile",
    "Unsqueeze",
    "Squeeze",
    "Transpose",
    "Shape",
    "Gather",
    "Pad",
    "ConstantOfShape",
    "Range",
}
_ALIAS_OPS = {"Identity", "Cast"}


@dataclass(frozen=True)
class GraphWeights:
    """What an ONNX file holds: its weights in node order, input/output ranks, metadata."""

    tensors: list[tuple[str, np.ndarray]]
    input_shape: list[int | str]
    output_rank: int
    metadata: dict[str, str]


def read_graph(path: str | Path) -> GraphWeights:
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except Exception as exc:  # protobuf's DecodeError and friends
        raise InputError(f"not an ONNX model ({type(exc).__name__})", path) from None
    graph = model.graph

    def array(t: Any) -> np.ndarray:
        """A tensor's data; one whose declared shape does not hold its data is the file's
        fault, named as such (numpy says only "cannot reshape")."""
        try:
            return numpy_helper.to_array(t)
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"tensor {t.name!r} does not hold the data its shape "
                f"{list(t.dims)} declares ({exc})",
                path,
            ) from None

    values: dict[str, np.ndarray] = {t.name: array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    values[node.output[0]] = array(a.t)
        elif node.op_type in _ALIAS_OPS and node.input and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    seen: set[int] = set()
    tensors: list[tuple[str, np.ndarray]] = []
    for node in graph.node:
        if node.op_type in _SHAPE_OPS | _ALIAS_OPS | {"Constant"}:
            continue
        for name in node.input:
            arr = values.get(name)
            if arr is None or arr.dtype.kind != "f" or id(arr) in seen:
                continue
            if arr.size == 1 and arr.ndim != 4:  # a constant, not a one-channel bias
                continue
            seen.add(id(arr))
            tensors.append((name, arr.astype(np.float32)))
    if not graph.input or not graph.output:
        raise InputError("the ONNX graph has no input or no output", path)
    dims = graph.input[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.dim_value else (d.dim_param or "?") for d in dims]
    out_rank = len(graph.output[0].type.tensor_type.shape.dim)
    meta = {p.key: p.value for p in model.metadata_props}
    return GraphWeights(tensors, shape, out_rank, meta)


def execution_order(model: nn.Module, example: torch.Tensor) -> list[tuple[str, nn.Module]]:
    """The layers holding tensors, in the order one eval forward pass first calls them."""
    names = {m: n for n, m in model.named_modules()}
    order: list[tuple[str, nn.Module]] = []
    called: set[int] = set()

    def hook(module: nn.Module, *_: Any) -> None:
        if id(module) not in called:
            called.add(id(module))
            order.append((names[module], module))

    kinds = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.LayerNorm, nn.BatchNorm2d)
    handles = [m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    try:
        with torch.inference_mode():
            model.eval()(example)
    finally:
        for h in handles:
            h.remove()
    return order


def _slots(order: list[tuple[str, nn.Module]]) -> list[tuple[str, torch.Tensor, bool]]:
    """(state-dict key, target tensor, transposed-in-the-file) in file order."""
    out: list[tuple[str, torch.Tensor, bool]] = []
    for name, m in order:
        keys = ["weight", "bias"]
        if isinstance(m, nn.BatchNorm2d):
            keys += ["running_mean", "running_var"]
        for key in keys:
            t = getattr(m, key, None)
            if t is not None:
                out.append((f"{name}.{key}", t, isinstance(m, nn.Linear) and key == "weight"))
    return out


class GraphMismatch(ValueError):
    """The file's weights do not line up with the architecture's."""


def match_weights(
    model: nn.Module, example: torch.Tensor, graph: GraphWeights
) -> dict[str, torch.Tensor]:
    """The model's state dict filled from the graph's tensors, or GraphMismatch."""
    slots = _slots(execution_order(model, example))
    if len(slots) != len(graph.tensors):
        raise GraphMismatch(
            f"{len(graph.tensors)} weight tensors where this architecture has {len(slots)}"
        )
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for i, ((key, target, transposed), (src, arr)) in enumerate(
        zip(slots, graph.tensors, strict=True)
    ):
        value = arr.T if transposed and arr.ndim == 2 else arr
        if value.size != target.numel() or (
            value.ndim == target.dim() and tuple(value.shape) != tuple(target.shape)
        ):
            raise GraphMismatch(
                f"tensor {i} ({src}) has shape {list(arr.shape)}, where "
                f"{key} needs {list(target.shape)}"
            )
        state[key] = torch.from_numpy(np.ascontiguousarray(value)).reshape(target.shape)
    first = slots[0][0]
    state[first] = state[first].flip(1)  # BGR -> RGB input channels
    return state


@dataclass(frozen=True)
class Imported:
    """An imported network and where it came from."""

    architecture: str
    model: nn.Module
    source: dict[str, Any]


def _charset_for(
    graph: GraphWeights, classes: int, dictionary: str | Path | None, path: str | Path
) -> Any:
    """PaddleOCR's CTC classes: blank, the dictionary's characters, and a space when
    the model was trained with `use_space_char` (then classes = characters + 2)."""
    from ocrstudio.core.charset import Charset

    if dictionary is not None:
        if not Path(dictionary).is_file():
            raise InputError("no such dictionary file", dictionary)
        try:
            text = Path(dictionary).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the dictionary is not UTF-8 text", dictionary) from None
        where: str | Path = dictionary
    elif "character" in graph.metadata:
        text, where = graph.metadata["character"], path
    else:
        raise InputError(
            "the file holds no dictionary (metadata key 'character'): give the "
            "model's dictionary with --dict",
            path,
        )
    chars = [line.rstrip("\r") for line in text.split("\n")]
    while chars and chars[-1] == "":
        chars.pop()
    bad = next((i for i, c in enumerate(chars) if len(c) != 1), None)
    if bad is not None:
        raise InputError(f"dictionary entry {chars[bad]!r} is not one character", where, bad + 1)
    if classes == len(chars) + 2 and " " not in chars:
        chars.append(" ")
    if classes != len(chars) + 1:
        raise InputError(
            f"the dictionary has {len(chars)} characters but the model "
            f"predicts {classes} classes (blank + characters [+ space])",
            where,
        )
    try:
        return Charset("".join(chars))
    except ValueError as exc:
        raise InputError(f"dictionary: {exc}", where) from None


def import_onnx(path: str | Path, dictionary: str | Path | None = None) -> Imported:
    """A PP-OCRv6 detector (4-D probability output) or recognizer (3-D class scores) from
    an ONNX file, as an ocrstudio network in eval mode; InputError when it is neither."""
    from ocrstudio.engine.recognition.ppocr_rec import example_input
    from ocrstudio.engine.zoo import get_spec

    p = Path(path)
    if not p.is_file():
        raise InputError("no such ONNX file", p)
    graph = read_graph(p)
    if graph.output_rank == 4:
        arch, charset, example = "ppocr_det_v6", None, torch.zeros(1, 3, 64, 64)
    elif graph.output_rank == 3 and graph.tensors:
        arch = "ppocr_rec_v6"
        charset = _charset_for(graph, graph.tensors[-1][1].size, dictionary, p)
        example = example_input(get_spec(arch).config("full"))
    else:
        raise InputError(
            "neither a text detector (N,1,H,W output) nor a CTC recognizer (N,T,classes output)", p
        )
    spec = get_spec(arch)
    model = spec.build(spec.config("full"), charset)
    try:
        state = match_weights(model, example, graph)
    except GraphMismatch as exc:
        raise InputError(
            f"the graph does not match {arch} ({spec.summary}): {exc}; "
            "ocrstudio imports PP-OCRv6 small detectors and recognizers "
            "(PaddleOCR exports made with paddle2onnx)",
            p,
        ) from None
    model.load_state_dict(state)
    return Imported(arch, model.eval(), {"file": p.name, "tensors": len(graph.tensors)})


def rapidocr_model(name: str) -> Path | None:
    """A model file inside the installed `rapidocr` package (found, not imported)."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    return found if found.is_file() else None
