"""The detector contract: what a detection network exposes to its predictor, its loss and
the training task. Every architecture in `zoo.DETECTORS` follows it (DBNet, TCM and
PP-OCRv6's detector all end in DB's head, so they share the outputs below).

A leaf module (its imports are for type checking only), re-exported by the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, cast

from ocrstudio.engine.network import Network, require

if TYPE_CHECKING:
    from torch import Tensor

    from ocrstudio.engine.detection.postprocess import PostProcessConfig
    from ocrstudio.engine.detection.targets import TargetConfig

__all__ = ["Detector", "DetectorConfig", "as_detector"]


class DetectorConfig(Protocol):
    """A detector's frozen config dataclass: besides the network's own fields it carries
    what belongs with a trained model, so a checkpoint's JSON describes all of it."""

    @property
    def targets(self) -> TargetConfig:
        """How training maps are built (`targets.make_targets`)."""
        ...

    @property
    def postprocess(self) -> PostProcessConfig:
        """How boxes are read off the probability map (`postprocess.boxes_from_prob`)."""
        ...

    @property
    def train_size(self) -> int:
        """Side of the square training crops."""
        ...

    @property
    def limit_side(self) -> int:
        """Inference: the longest side at most this (a multiple of 32)."""
        ...


class Detector(Network, Protocol):
    """A detection network (`ArchSpec.build(config, None)` for a detector).

    ``model(images, targets=None)``: images (N, 3, H, W) normalised (the card's mean/std
    on 0..255 pixels), H and W multiples of 32. Returns "prob" (N, 1, H, W) and
    "prob_logits"; in training mode or with targets also "thresh", "binary" and
    "binary_logits"; with targets (the (N, H, W) maps of `targets.DBTargets.maps()`)
    also "loss" (the scalar to backpropagate) and its named parts, from `compute_loss`.
    """

    @property
    def config(self) -> DetectorConfig: ...

    def __call__(
        self, images: Tensor, targets: Mapping[str, Tensor] | None = None
    ) -> dict[str, Tensor]: ...

    def compute_loss(
        self, out: Mapping[str, Tensor], targets: Mapping[str, Tensor]
    ) -> dict[str, Tensor]:
        """ "loss" and its parts from the forward outputs and the target maps."""
        ...


def as_detector(model: object) -> Detector:
    """`model` as the `Detector` it is (checked: a TypeError names what it lacks)."""
    require(model, ("config", "compute_loss", "train", "eval", "to", "modules"), "detector")
    return cast("Detector", model)
