"""The recognizer contract: what a recognition network exposes to its predictor, its loss
and the training task. Every architecture in `zoo.RECOGNIZERS` follows it.

A leaf module (its imports are for type checking only), re-exported by the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from ocrstudio.engine.network import Network, require

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor

    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.recognition.preprocess import RecInput
    from ocrstudio.engine.recognition.types import RecResult

__all__ = ["CTCModel", "Recognizer", "RecognizerConfig", "as_ctc_model", "as_recognizer"]


class RecognizerConfig(Protocol):
    """A recognizer's frozen config dataclass; its "full" config is the published model,
    its "tiny" one learns on a CPU in about a minute."""

    @property
    def input(self) -> RecInput:
        """What `preprocess.prepare_crops` makes of crops for this model."""
        ...


class Recognizer(Network, Protocol):
    """A recognition network (`ArchSpec.build(config, charset)` for a recognizer).

    ``model(images, targets=None)``: images are what
    ``preprocess.prepare_crops(crops, config.input)`` returns, a float tensor
    (B, C, H, W). With ``targets`` (training) it returns `compute_loss`'s dict: "loss"
    (the scalar to backpropagate) plus its named parts; without, ``{"logits": Tensor}``
    (B, T, num_classes), T = time steps for CTC, max_len + 1 for attention decoders.
    Targets hold only charset characters: callers filter labels with
    ``Charset.filter_report`` first and report what was removed.

    Tokenization follows `engine/tokenizer.py` (CTC: blank = 0; attention: EOS = 0,
    characters 1..N, BOS = N + 1, PAD = N + 2). Checkpoints store
    their charset in the model card (`ModelCard.charset`) and load through
    ``engine.zoo.load_model``.
    """

    @property
    def config(self) -> RecognizerConfig: ...

    @property
    def charset(self) -> Charset: ...

    def __call__(self, images: Tensor, targets: list[str] | None = None) -> dict[str, Tensor]: ...

    def compute_loss(self, images: Tensor, targets: list[str]) -> dict[str, Tensor]:
        """The training objective on a batch and its texts."""
        ...

    def read(self, images: Tensor, *args: Any, **options: Any) -> list[RecResult]:
        """One `RecResult` per image, in whatever mode the caller set; callers go through
        `predictor.recognize(model, images)` (eval mode, `inference_mode`, mode restored).
        Character spans where the decoder knows them (CTC's greedy path)."""
        ...

    def extend_charset(self, charset: Charset) -> None:
        """Grow the classifier to a charset that starts with the current one
        (`Charset.extended`): what the model knew keeps its weights."""
        ...


class CTCModel(Recognizer, Protocol):
    """A CTC recognizer: its logits alone can be exported (ONNX) and decoded apart."""

    def logits(self, images: Tensor) -> Tensor:
        """(B, T, classes) logits, blank = class 0."""
        ...

    def decode_probs(self, probs: Tensor | np.ndarray) -> list[RecResult]:
        """Results from (B, T, classes) probabilities (as the ONNX runner gives them)."""
        ...


_RECOGNIZER = (
    "config",
    "charset",
    "read",
    "compute_loss",
    "extend_charset",
    "train",
    "eval",
    "to",
    "modules",
)


def as_recognizer(model: object) -> Recognizer:
    """`model` as the `Recognizer` it is (checked: a TypeError names what it lacks)."""
    require(model, _RECOGNIZER, "recognizer")
    return cast("Recognizer", model)


def as_ctc_model(model: object) -> CTCModel:
    """`model` as the `CTCModel` it is (checked: a TypeError names what it lacks)."""
    require(model, (*_RECOGNIZER, "logits", "decode_probs"), "CTC recognizer")
    return cast("CTCModel", model)
