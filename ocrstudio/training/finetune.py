"""Fine-tuning a trained model: the one place its settings are read and applied.

The settings (`engine.spec.FineTune`) are the architecture's default with the model card's
`fine_tune` object laid over it; `fit_config` turns them into the loop's `FitConfig` (the
person's explicit choices win), `prepare_model` freezes what they say (trunk stages,
BatchNorm statistics) and `TextWindowSource` cuts a detector's crops around labelled
words. `training.api.train_model` applies all of it whenever it starts from a base model,
so the window, `ocrstudio train --base`, `ocrstudio improve` and the recipes in
`recipes/` fine-tune the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Polygon
from ocrstudio.engine.card import ModelCard, check_fine_tune
from ocrstudio.engine.spec import FineTune
from ocrstudio.training.config import FitConfig
from ocrstudio.training.data import DetSample, LabeledPage, PageSource

CARD_KEY = "fine_tune"
# FitConfig fields a FineTune sets (the rest are how long, where, and how to report)
FIT_FIELDS = ("lr", "batch_size", "optimizer", "schedule", "warmup", "weight_decay")


def settings_for(card: ModelCard) -> FineTune:
    """The fine-tuning settings of the model `card` describes: its architecture's default,
    with the card's own `fine_tune` object over it (checked, naming the field, when the
    card was read)."""
    from ocrstudio.engine.zoo import get_spec

    return check_settings(card.fine_tune_over(get_spec(card.architecture).fine_tune))


def check_settings(s: FineTune) -> FineTune:
    """Bounds a card may not cross (a rate of 10 or a batch of a million is a typo)."""
    try:
        check_fine_tune(s)
    except ValueError as exc:
        raise InputError(f"{CARD_KEY} {exc}") from None
    return s


def fit_config(
    settings: FineTune, overrides: Mapping[str, Any] | None = None, base: FitConfig = FitConfig()
) -> FitConfig:
    """The loop's settings for a fine-tune: `settings` over `base`, then the person's
    explicit `overrides` (a FitConfig field each) over both."""
    own = {k: getattr(settings, k) for k in FIT_FIELDS}
    return base.with_(**{**own, **dict(overrides or {})})


def prepare_model(model: Any, settings: FineTune, role: str) -> list[str]:
    """Freeze what `settings` say before a fine-tune; returns the frozen parts' names.
    A detector also runs channels-last (depthwise convolutions train about 3x faster that
    way on a CPU) and takes `train_size` as its training crop."""
    frozen = freeze_stages(model, settings.freeze) if settings.freeze and role == "detector" else []
    if settings.frozen_bn:
        keep_batchnorm_statistics(model)
    if role == "detector":
        import torch

        if settings.train_size:
            model.config = dataclasses.replace(model.config, train_size=settings.train_size)
        model.to(memory_format=torch.channels_last)
        model.register_forward_pre_hook(_channels_last)
    return frozen


def float_weights(model: Any) -> dict[str, Any]:
    """A copy of the model's floating-point weights and buffers (the base of a blend)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}


def blend_with_base(model: Any, base: dict[str, Any], keep: float) -> None:
    """Weights = base + keep x (weights - base), in place (`FineTune.blend`)."""
    import torch

    with torch.no_grad():
        for name, value in model.state_dict().items():
            if name in base:
                value.copy_(
                    base[name].to(value.device) + keep * (value - base[name].to(value.device))
                )


def freeze_stages(model: Any, stages: int) -> list[str]:
    """Freeze the first `stages` parts of a detector's trunk: CRAFT's slices 1..`stages`,
    PP-LCNetV4's stem and stages (stem = 1), a torchvision trunk's first children. No
    gradients, and their BatchNorms kept in eval mode."""
    backbone = model.backbone
    if hasattr(backbone, "stem"):  # PP-LCNetV4
        names = ["stem", *(f"stages.{i}" for i in range(stages - 1))][:stages]
    elif hasattr(backbone, "slice1"):  # CRAFT's VGG
        names = [f"slice{i}" for i in range(1, stages + 1)]
    else:
        names = [n for n, _ in backbone.named_children()][:stages]
    for name in names:
        part = backbone.get_submodule(name)
        for prm in part.parameters():
            prm.requires_grad_(False)
        keep_batchnorm_statistics(part)
    return names


def keep_batchnorm_statistics(module: Any) -> None:
    """Every BatchNorm under `module` normalises with its trained running statistics and
    leaves them as they are, whatever mode `fit` puts the model in."""
    from torch import nn

    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            m.register_forward_pre_hook(_keep_eval)


def _keep_eval(module: Any, _inputs: Any) -> None:
    module.train(False)  # fit() puts the whole model in train mode each epoch


def _channels_last(module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    import torch

    return (args[0].contiguous(memory_format=torch.channels_last), *args[1:])


class TextWindowSource:
    """Detection samples cut to a `window`-pixel square around a random labelled word
    (jittered), before the usual scale/rotate/crop: on street photos a plain random crop
    holds no word half the time, and such a batch teaches nothing."""

    endless = False

    def __init__(self, pages: Sequence[LabeledPage], window: int = 640):
        self.pages, self.window = PageSource(pages), window

    def __len__(self) -> int:
        return len(self.pages)

    def get(self, index: int, epoch: int) -> DetSample:
        import numpy as np

        img, labels = self.pages.get(index, epoch)
        words = labels.legible
        if not words:
            return img, labels
        rng = np.random.default_rng([index, epoch, 7])
        cx, cy = words[int(rng.integers(len(words)))].polygon.as_array().mean(0)
        h, w = img.shape[:2]
        half = self.window // 2
        x0 = int(np.clip(cx - half + rng.uniform(-half / 2, half / 2), 0, max(0, w - self.window)))
        y0 = int(np.clip(cy - half + rng.uniform(-half / 2, half / 2), 0, max(0, h - self.window)))
        crop = np.ascontiguousarray(img[y0 : y0 + self.window, x0 : x0 + self.window])
        regions = [
            dataclasses.replace(r, polygon=Polygon.from_array(r.polygon.as_array() - (x0, y0)))
            for r in labels.regions
        ]
        return crop, dataclasses.replace(
            labels, regions=tuple(regions), width=crop.shape[1], height=crop.shape[0]
        )


class _FrozenBase:
    """A loss that compares the model with `base`, a frozen copy of it from before the
    fine-tune (never trained or saved), weighted by `weight`."""

    def __init__(self, base: Any, weight: float) -> None:
        self.base, self.weight = base.eval(), weight
        for p in base.parameters():
            p.requires_grad_(False)

    def base_output(self, images: Any, run: Callable[[Any, Any], Any]) -> Any:
        """`run(base, images)` on the images' device, without gradients."""
        import torch

        self.base.to(images.device)
        with torch.no_grad():
            return run(self.base, images)


class KeepsBase(_FrozenBase):
    """A CTC recognizer's fine-tuning loss: CTC on the labels plus `weight` x the KL
    divergence of its per-frame class distributions from its `base`'s (`FineTune.keep_base`),
    on the crops the base reads right only: there the label and the base agree, and the
    term keeps the way the base read them (the frames around and between the letters that
    no label speaks of); where the base misreads (the person's new kind of text), the
    labels teach alone."""

    def __call__(self, net: Any, images: Any, targets: Any) -> dict[str, Any]:
        from ocrstudio.engine.recognition.crnn import ctc_loss

        logits = net.logits(images)
        flat, lengths = net.tokenizer.encode(targets)
        ctc = ctc_loss(logits, flat, lengths, blank=net.tokenizer.blank)
        ref = self.base_logits(images)
        right = [r.text == t for r, t in zip(self.base.decode(ref), targets, strict=True)]
        kl = self.divergence(logits, ref, right)
        return {
            "loss": ctc + self.weight * kl,
            "ctc": ctc.detach(),
            "keep": kl.detach(),
            "base_right": kl.new_tensor(sum(right) / max(len(right), 1)),
        }

    def base_logits(self, images: Any) -> Any:
        return self.base_output(images, lambda base, x: base.logits(x))

    @staticmethod
    def divergence(logits: Any, ref: Any, crops: Sequence[bool] | None = None) -> Any:
        """KL(base || model) of the class distributions, summed over classes, averaged over
        frames, then over the batch with the crops `crops` leaves out counting as zero;
        `logits` the model's, `ref` the base's on the same crops."""
        import torch

        own = logits.float().log_softmax(-1)
        base = ref.float().log_softmax(-1)
        per_crop = (
            torch.nn.functional.kl_div(own, base, log_target=True, reduction="none")
            .sum(-1)
            .mean(-1)
        )
        if crops is not None:
            per_crop = per_crop * torch.tensor(crops, dtype=per_crop.dtype, device=own.device)
        return per_crop.mean()


# the base's text probability above which a pixel no label covers keeps the base's reading
BASE_SEES = 0.2


class DetectorKeepsBase(_FrozenBase):
    """A DB detector's fine-tuning loss: DB's loss on the labels plus `weight` x the KL
    divergence of its per-pixel text probability from its `base`'s where the labels say
    nothing: the don't-care regions (`###` words, text a person left unlabelled) and every
    pixel outside a labelled word where the base sees text (`BASE_SEES`), which DB's loss
    leaves out too. A person's labels say where their text is, not that the rest of the
    photo holds none: taught that the small signs around a licence plate are background,
    a detector lost small street text everywhere (ICDAR 2015 recall 0.645 -> 0.590)."""

    def __call__(self, net: Any, images: Any, targets: Any) -> dict[str, Any]:
        import torch

        ref = self.base_output(images, lambda base, x: base(x)["prob"][:, 0].float())
        mask = targets["shrink_mask"].float()
        unsaid = torch.maximum(
            1.0 - mask, ((targets["shrink_map"] < 0.5) & (ref > BASE_SEES)).float()
        )
        out = net(images, {**targets, "shrink_mask": mask * (1.0 - unsaid)})
        bce = torch.nn.functional.binary_cross_entropy_with_logits(
            out["prob_logits"][:, 0].float(), ref, reduction="none"
        )
        ref = ref.clamp(1e-6, 1 - 1e-6)
        entropy = -(ref * ref.log() + (1 - ref) * (1 - ref).log())
        keep = ((bce - entropy) * unsaid).sum() / unsaid.sum().clamp(min=1.0)
        return {**out, "loss": out["loss"] + self.weight * keep, "keep": keep.detach()}


def keeps_base(model: Any, settings: FineTune) -> KeepsBase | DetectorKeepsBase | None:
    """The loss that keeps a CTC recognizer or a DB detector near its base (a frozen copy
    of `model` as it is before the fine-tune), when `settings.keep_base` asks for it;
    else None."""
    if settings.keep_base <= 0:
        return None
    import copy

    if hasattr(model, "logits") and hasattr(model, "tokenizer"):
        return KeepsBase(copy.deepcopy(model), settings.keep_base)
    if hasattr(model, "head") and hasattr(model, "neck") and hasattr(model, "compute_loss"):
        return DetectorKeepsBase(copy.deepcopy(model), settings.keep_base)
    return None
