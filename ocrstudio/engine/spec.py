"""What an architecture is: `ArchSpec`, the two roles, and the facts each spec carries.

A leaf module (no torch; only `core.types`, for the role names), so the zoos that fill
`ArchSpec`s, the services and the GUI can all import it without an import circle or the
cost of loading the networks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ocrstudio.core.types import ROLES, Role

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ROLES",
    "ArchSpec",
    "FineTune",
    "Preset",
    "Recipe",
    "Role",
]

Preset = Literal["accurate", "fast"]

# ImageNet statistics: what the torchvision trunks, CRAFT's VGG and ABINet were trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Recipe:
    """The optimiser and schedule a paper trained with (`training.config.paper_recipe`
    lays it over a FitConfig). None keeps the FitConfig's own value, so the default
    Recipe() leaves a FitConfig as it is (AdamW + one-cycle unless told otherwise)."""

    optimizer: str | None = None
    lr: float | None = None
    schedule: str | None = None
    weight_decay: float | None = None


@dataclass(frozen=True)
class FineTune:
    """How a trained model of an architecture is fine-tuned on a person's labels: the one
    set of settings the window, `ocrstudio train --base`, `ocrstudio improve` and the
    recipes that made the shipped models share (`training.finetune`). A model card's
    `fine_tune` object overrides fields of its architecture's default.

    `frozen_bn`: BatchNorm running statistics stay as trained (a batch of a few crops
    would overwrite them with its own). `freeze`: detector trunk stages without gradients
    (stem = 1); the high-resolution ones cost most of a CPU backward pass. `train_size` /
    `window`: a detector's training crop, and the window around a random labelled word
    cut before it (a random crop of a large photo often holds no word). `replay`: general
    data mixed into the person's (`ocrstudio train --data` specs), so the model keeps what
    it knows. `time_share`: this role's part of an `improve` run's training time.
    `blend`: the share of the fine-tune's change kept: the saved weights are base +
    blend x (tuned - base) (WiSE-FT, Wortsman et al. 2022): halfway keeps most of what the
    person's labels taught and most of what the base read elsewhere. `keep_base`: the weight
    of a term that keeps the model near its base (learning without forgetting, Li and
    Hoiem 2016), 0 leaves it out: a CTC recognizer keeps its per-frame class distributions
    (KL divergence) on the crops its base reads right, so what no label speaks of (a space
    between two words in one box, nothing read at a crop's edge) stays as the base read it
    while the labels teach where the base misread; a DB detector keeps its base's text
    probability in the regions its labels leave don't-care, where DB's loss says nothing
    and a fine-tune would otherwise drift.
    """

    lr: float = 1e-4
    batch_size: int = 16
    optimizer: str = "adamw"
    schedule: str = "onecycle"
    warmup: float = 0.1
    weight_decay: float = 1e-4
    frozen_bn: bool = True
    freeze: int = 0
    train_size: int | None = None
    window: int | None = None
    replay: tuple[str, ...] = ()
    time_share: float = 0.5
    blend: float = 1.0
    keep_base: float = 0.0


@dataclass(frozen=True)
class ArchSpec:
    """One architecture: how to build it, its named configs, and what it is suited for.

    `build(config, charset)` returns the network; detectors ignore `charset` (pass None).
    `configs` holds at least "full" (the published model) and "tiny" (tests, CPU).
    `input_size` describes the input the full config expects, e.g. "32x100 gray".
    `recipe`: how the paper trained it (from scratch); `fine_tune`: how a trained model
    of it is fine-tuned (`FineTune`). `int8`: the int8 ONNX export (engine/onnx_int8.py)
    is made for it, so the `fast` preset may run it on ONNX Runtime; `onnx_fp32`: int8
    costs it too much accuracy, so `fast` runs its plain fp32 export there (as fast as
    torch on an idle CPU, far steadier when another job holds a core, twice the crops a
    second in large batches; docs/models.md). `presets`: the OCR
    presets a shipped model of this architecture is preferred for.
    """

    name: str
    role: Role
    summary: str
    configs: Mapping[str, Any]
    build: Callable[[Any, Any], nn.Module]
    input_size: str
    recipe: Recipe = field(default_factory=Recipe)
    fine_tune: FineTune = field(default_factory=FineTune)
    int8: bool = False
    onnx_fp32: bool = False
    presets: tuple[Preset, ...] = ("accurate",)

    @property
    def config_type(self) -> type:
        return type(self.configs["full"])

    def config(self, name_or_overrides: str | Mapping[str, Any] = "full") -> Any:
        if isinstance(name_or_overrides, str):
            if name_or_overrides not in self.configs:
                raise KeyError(
                    f"{self.name} has no config {name_or_overrides!r} (has {sorted(self.configs)})"
                )
            return self.configs[name_or_overrides]
        from ocrstudio.engine.config_json import config_from_dict

        return config_from_dict(self.config_type, dict(name_or_overrides))
