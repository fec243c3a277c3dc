"""Training from data specifications: what `ocrstudio train` and the training service call.

A data source is labelled pages (a folder in any supported format, or a project's split
turned into pages by the service layer) or a synthetic stream; sources mix by weight.
`train_model` builds (or loads and, for recognizers, grows) the model, the datasets and
the validation set, and runs `fit`; starting from a base model it fine-tunes as the base's
settings say (`training.finetune`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, overload

from torch import nn

from ocrstudio.core.cancel import CancelToken
from ocrstudio.core.charset import Charset, describe_unknown
from ocrstudio.core.errors import InputError
from ocrstudio.engine.card import ModelCard
from ocrstudio.engine.spec import FineTune
from ocrstudio.engine.zoo import ArchSpec, get_spec, load_model, new_card
from ocrstudio.training import finetune
from ocrstudio.training.callbacks import ProgressCallback
from ocrstudio.training.config import ClipChoice, FitConfig
from ocrstudio.training.data import (
    CropSource,
    LabeledPage,
    MixedDataset,
    PageSource,
    SynthSource,
    scene_sample,
    split_holdout,
    word_sample,
)
from ocrstudio.training.loop import FitResult, fit, seed_everything
from ocrstudio.training.tasks import DetTask, RecTask

log = logging.getLogger(__name__)
# scenes and words as before; page kinds (rendered receipts, forms, documents,
# screenshots, or all four mixed) train detectors only (`training.synth.streams`)
SynthKind = Literal["words", "scenes", "pages", "receipt", "form", "document", "screenshot"]
SYNTH_KINDS: tuple[str, ...] = get_args(SynthKind)


@dataclass(frozen=True)
class DataSource:
    """One source of the training mix: labelled pages, or synthetic `words` / `scenes`."""

    name: str
    weight: float = 1.0
    pages: tuple[LabeledPage, ...] = ()
    synth: SynthKind | None = None
    val_pages: tuple[LabeledPage, ...] = ()  # a split the source brings (a project's val)


def parse_weight(spec: str) -> tuple[str, float]:
    """`SPEC@W` -> (SPEC, W); no `@` -> weight 1."""
    head, sep, tail = spec.rpartition("@")
    if not sep:
        return spec, 1.0
    try:
        w = float(tail)
    except ValueError:
        return spec, 1.0  # an @ inside a path, not a weight
    if w < 0:
        raise InputError(f"negative weight in data spec {spec!r}")
    return head, w


def synth_source(spec: str, weight: float) -> DataSource:
    kind = spec.split(":", 1)[1]
    if kind not in SYNTH_KINDS:
        known = ", ".join(f"synth:{k}" for k in SYNTH_KINDS)
        raise InputError(f"unknown synthetic data {spec!r}: use one of {known}")
    return DataSource(spec, weight, synth=kind)  # type: ignore[arg-type]


def _labels_of(root: Path) -> tuple[Path, str]:
    """Where a data folder's labels are and their format: the folder itself, then `gt/`,
    `labels/`, `annotations/` beside an `images/` folder (the layout of the ICDAR
    downloads)."""
    from ocrstudio.formats import FormatError, detect_format

    if not root.exists():
        raise InputError("no such data folder", root)
    for labels in (root, root / "gt", root / "labels", root / "annotations"):
        if not labels.exists():
            continue
        try:
            return labels, detect_format(labels)
        except FormatError:
            continue
    raise InputError("cannot tell what labels this folder holds (no supported format)", root)


def folder_format(path: str | Path) -> str:
    """The label format of a data folder ("words" for word crops)."""
    return _labels_of(Path(path))[1]


def load_folder(path: str | Path) -> list[LabeledPage]:
    """Labelled pages from a folder in any supported format (detected, see `_labels_of`),
    with absolute image paths."""
    from ocrstudio.formats import read_labels

    root = Path(path)
    labels, fmt = _labels_of(root)
    images = root / "images" if (root / "images").is_dir() else None
    if fmt == "words":
        pages = read_labels(fmt, labels)
        base = root if labels == root else labels.parent
    else:
        pages = read_labels(fmt, labels, images)
        base = images or (labels if labels.is_dir() else labels.parent)
    return [LabeledPage(_locate(p.image, base, root), p) for p in pages]


def _locate(image: str, *roots: Path) -> Path:
    p = Path(image)
    if p.is_absolute():
        return p
    for r in roots:
        if (r / p).is_file():
            return (r / p).resolve()
    raise InputError("labelled image not found", roots[0] / p)


@dataclass
class _Built:
    model: nn.Module
    spec: ArchSpec
    card: ModelCard
    base_card: ModelCard | None


def build_model(
    arch: str | None,
    config: str,
    base: str | Path | None,
    texts: Sequence[str],
    clip: ClipChoice = ClipChoice(),
) -> _Built:
    """A new model of `arch` (named config, CLIP weights from `clip`), or the `base`
    checkpoint's; a recognizer's charset grows to hold every character of `texts` (old
    classifier rows kept)."""
    base_card = None
    model: Any  # a zoo network: charset, config and extend_charset are its own
    if base is not None:
        if clip.weights is not None:
            raise InputError(
                "--clip-weights is for a new model: a base model already holds its CLIP weights",
                base,
            )
        model, base_card = load_model(base)
        spec = get_spec(base_card.architecture)
        if arch is not None and arch != spec.name:
            raise InputError(f"--arch {arch} does not match the base model ({spec.name})", base)
        model.train()
    else:
        if arch is None:
            raise InputError("name an architecture (--arch) or a base model (--base)")
        spec = get_spec(arch)
        charset = Charset.default() if spec.role == "recognizer" else None
        model = spec.build(_with_clip(spec, spec.config(config), clip), charset)
    if spec.role == "recognizer":
        grown = model.charset.extended(texts)
        if len(grown) > len(model.charset):
            if not hasattr(model, "extend_charset"):
                raise InputError(
                    f"{spec.name} cannot grow its charset for new characters "
                    f"{grown.chars[len(model.charset) :]!r}"
                )
            log.info("charset grows by %r", grown.chars[len(model.charset) :])
            model.extend_charset(grown)
    return _Built(model, spec, checkpoint_card(spec, model, base, base_card), base_card)


def _with_clip(spec: ArchSpec, cfg: Any, clip: ClipChoice) -> Any:
    if clip.weights is None and not clip.allow_download:
        return cfg
    if not hasattr(cfg, "clip_weights"):
        raise InputError(
            f"{spec.name} has no CLIP backbone: --clip-weights and "
            "--allow-download apply to TCM and CLIP4STR models"
        )
    return dataclasses.replace(cfg, clip_weights=clip.weights, allow_download=clip.allow_download)


# How a base reads that is not in its config: a fine-tune keeps it (the thresholds tuned
# at other input sizes, the recognizer's verify settings, word or line boxes, its
# fine-tuning): fields of `ModelCard`.
INHERITED = ("boxes", "postprocess_at", "verify", "verify_at", finetune.CARD_KEY)


def checkpoint_card(
    spec: ArchSpec, model: nn.Module, base: str | Path | None, base_card: ModelCard | None
) -> ModelCard:
    """The card a checkpoint of `model` carries (`engine.zoo.new_card`: what `load_model`
    and the predictors read back), with `base` as its lineage and its reading settings
    (`INHERITED`)."""
    card = new_card(spec, model).with_(
        lineage={
            "base": None if base is None else str(base),
            "base_name": base_card.name if base_card else None,
            "base_metrics": base_card.metrics if base_card else None,
        }
    )
    if base_card is None:
        return card
    return card.with_(**{k: getattr(base_card, k) for k in INHERITED})


def train_model(
    sources: Sequence[DataSource],
    out: str | Path,
    *,
    arch: str | None = None,
    config: str = "tiny",
    base: str | Path | None = None,
    fit_config: FitConfig = FitConfig(),
    val_fraction: float = 0.05,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    resume: bool = False,
    name: str | None = None,
    clip: ClipChoice = ClipChoice(),
    settings: FineTune | None = None,
) -> FitResult:
    """Build the model and data from `sources` and train; returns fit's result. From a
    `base` model this is a fine-tune: `settings` (default: the base card's,
    `finetune.settings_for`) freeze what they say and shape the detector's crops;
    `fit_config` carries the rate and batch (`finetune.fit_config`). `name`: the model's
    name in its card (default: the architecture's)."""
    if not sources:
        raise InputError("no training data given")
    train_pages, val_pages = _split_pages(sources, val_fraction, fit_config.seed)
    texts = [r.text for pages in train_pages + [val_pages] for p in pages for r in p.labels.legible]
    seed_everything(fit_config.seed)  # a new model's initial weights follow the seed too
    built = build_model(arch, config, base, texts, clip)
    lineage = {
        **built.card.lineage,
        "data": [{"name": s.name, "weight": s.weight, "pages": len(s.pages)} for s in sources],
    }
    built.card = built.card.with_(lineage=lineage, name=name or built.card.name)
    window, base_weights, loss = None, None, None
    if built.base_card is not None:
        settings = settings or finetune.settings_for(built.base_card)
        if settings.blend < 1 and not resume:
            base_weights = finetune.float_weights(built.model)
        loss = finetune.keeps_base(built.model, settings)
        frozen = finetune.prepare_model(built.model, settings, built.spec.role)
        net: Any = built.model
        built.card = built.card.with_(
            config=dataclasses.asdict(net.config),
            fine_tune=dataclasses.asdict(settings),
            lineage={**built.card.lineage, "frozen": frozen},
        )
        window = settings.window
    task: RecTask | DetTask
    if built.spec.role == "recognizer":
        task, ds, val = _rec_data(built, sources, train_pages, val_pages, fit_config)
    else:
        task, ds, val = _det_data(built, sources, train_pages, val_pages, fit_config, window)
    result = fit(
        built.model,
        task,
        ds,
        val=val,
        config=fit_config,
        out=out,
        card=built.card,
        progress=progress,
        cancel=cancel,
        resume=resume,
        loss=loss,
    )
    if base_weights is not None and settings is not None:
        result = _blend_saved(
            built.model, base_weights, settings.blend, result, task, val, fit_config
        )
    return result


def _blend_saved(
    model: nn.Module,
    base: dict[str, Any],
    keep: float,
    result: FitResult,
    task: Any,
    val: Sequence[Any],
    config: FitConfig,
) -> FitResult:
    """Blend the saved best model with its base (`FineTune.blend`), save it in its place
    and score it on the validation samples again: the figures a fine-tune reports are
    those of the weights it leaves."""
    import torch

    from ocrstudio.engine.checkpoint import load_checkpoint, save_checkpoint
    from ocrstudio.engine.device import pick_device

    state, card = load_checkpoint(result.out)
    model.load_state_dict(state)
    finetune.blend_with_base(model, base, keep)
    metrics = dict(result.metrics)
    if val:
        device = pick_device(config.device)
        n = len(val) if config.eval_size is None else min(len(val), config.eval_size)
        view = [val[i] for i in range(n)]  # as fit scores: the first eval_size samples
        metrics = task.evaluate(model.to(device), view, device)
        model.to(torch.device("cpu"))
    card = card.with_(
        lineage={**card.lineage, "blend": keep, "tuned_metrics": result.metrics}, metrics=metrics
    )
    save_checkpoint(result.out, {k: v.cpu() for k, v in model.state_dict().items()}, card)
    best = metrics.get(result.metric, result.best) if metrics else result.best
    return dataclasses.replace(result, metrics=metrics, best=best)


def _split_pages(
    sources: Sequence[DataSource], fraction: float, seed: int
) -> tuple[list[list[LabeledPage]], list[LabeledPage]]:
    train: list[list[LabeledPage]] = []
    val: list[LabeledPage] = []
    for s in sources:
        if s.val_pages:
            train.append(list(s.pages))
            val.extend(s.val_pages)
        else:
            tr, va = split_holdout(s.pages, fraction, 500, seed)
            train.append(tr)
            val.extend(va)
    return train, val


def _epoch_size(sources: Sequence[DataSource], cfg: FitConfig, default: int) -> int | None:
    if cfg.epoch_size is not None:
        return cfg.epoch_size
    return default if all(s.synth for s in sources) else None


def _rec_data(
    built: _Built, sources: Sequence[DataSource], train_pages, val_pages, cfg: FitConfig
) -> tuple[RecTask, MixedDataset, Any]:
    from ocrstudio.training.synth import WordSynth, WordSynthConfig
    from ocrstudio.training.synth.streams import is_page_source

    for s in sources:
        if is_page_source(s.synth):
            raise InputError(
                f"synth:{s.synth} renders whole pages for detectors; a recognizer "
                "trains on synth:words (or word crops from labelled pages)"
            )
    net: Any = built.model
    charset: Charset = net.charset
    task = RecTask(net.config.input, charset, augment=cfg.augment)
    alphabet = "".join(ch for ch in charset.chars if not ch.isspace())
    synth = WordSynth(WordSynthConfig(alphabet=alphabet), seed=cfg.seed)
    srcs: list[Any] = []
    for s, pages in zip(sources, train_pages, strict=True):
        srcs.append(SynthSource(synth, word_sample) if s.synth else CropSource(pages))
    _, dropped = charset.filter_report(
        [t for s in srcs if isinstance(s, CropSource) for t in s.texts]
    )
    if dropped:
        log.warning(describe_unknown(dropped))
    ds = MixedDataset(
        srcs, [s.weight for s in sources], _epoch_size(sources, cfg, 5000), cfg.seed, task.transform
    )
    val: Any = None  # labelled data too small to hold any back: keep the latest model
    if val_pages:
        val = _View(CropSource(val_pages))
    elif all(s.synth for s in sources):  # a fixed stream of its own seed, never trained on
        val = _View(
            SynthSource(
                WordSynth(WordSynthConfig(alphabet=alphabet), seed=cfg.seed + 1_000_003),
                word_sample,
            ),
            500,
        )
    return task, ds, val


def _det_data(
    built: _Built,
    sources: Sequence[DataSource],
    train_pages,
    val_pages,
    cfg: FitConfig,
    window: int | None = None,
) -> tuple[DetTask, MixedDataset, Any]:
    from ocrstudio.training.synth.streams import detector_stream, detector_val_stream

    task = DetTask(built.model.config, built.card, augment=cfg.augment)
    srcs: list[Any] = [
        SynthSource(detector_stream(s.synth, cfg.seed), scene_sample)
        if s.synth
        else finetune.TextWindowSource(pages, window)
        if window
        else PageSource(pages)
        for s, pages in zip(sources, train_pages, strict=True)
    ]
    ds = MixedDataset(
        srcs, [s.weight for s in sources], _epoch_size(sources, cfg, 500), cfg.seed, task.transform
    )
    val: Any = None
    if val_pages:
        val = _View(PageSource(val_pages))
    elif all(s.synth for s in sources):
        kinds = [s.synth for s in sources if s.synth]
        val = _View(SynthSource(detector_val_stream(kinds, cfg.seed), scene_sample), 100)
    return task, ds, val


class _View(Sequence[Any]):
    """A source as a read-only sequence (validation samples, never augmented)."""

    def __init__(self, source: Any, limit: int | None = None):
        self.source = source
        self.n = len(source) if limit is None else min(limit, len(source))

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> Any: ...

    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.source.get(i, 0)


def evaluate_model(
    model_path: str | Path, pages: Sequence[LabeledPage], device: str = "auto"
) -> dict[str, float]:
    """Score a saved model on labelled pages: word accuracy etc. for a recognizer (on the
    crops of the legible regions), H-mean etc. for a detector."""
    from ocrstudio.engine.detection import as_detector
    from ocrstudio.engine.device import pick_device
    from ocrstudio.engine.recognition import as_recognizer

    dev = pick_device(device)
    model, card = load_model(model_path, dev)
    if card.role == "recognizer" or get_spec(card.architecture).role == "recognizer":
        rec = as_recognizer(model)
        return RecTask(rec.config.input, rec.charset, augment=False).evaluate(
            rec, _View(CropSource(pages)), dev
        )
    detector = as_detector(model)
    return DetTask(detector.config, card, augment=False).evaluate(
        detector, _View(PageSource(pages)), dev
    )
