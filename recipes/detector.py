"""The shipped detector's CPU recipe (frozen early trunk stages, text-window crops) and
its scoring on validation photos, with the threshold search."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocrstudio.engine.card import ModelCard


def train_detector(
    base: Path,
    train_splits: Sequence[str],
    out: Path,
    fit_config: Any,
    freeze: int = 3,
    resume: bool = False,
    train_size: int | None = None,
    window: int = 480,
) -> Any:
    """Fine-tune a detector checkpoint on split folders (`FOLDER` or `FOLDER@WEIGHT`; a
    `synth:KIND@WEIGHT` stream too) through the one fine-tuning path
    (`training.api.train_model` with these settings), no validation inside the loop
    (scoring 1280-pixel photos each epoch would cost more CPU than the epoch): every
    epoch's weights are kept, and `eval-det` scores them on the validation split.
    `freeze` trunk stages (their BatchNorms kept), `train_size` the training crop,
    `window` the text window cut before augmentation."""
    from ocrstudio.engine.spec import FineTune
    from ocrstudio.training.api import (
        DataSource,
        load_folder,
        parse_weight,
        synth_source,
        train_model,
    )

    settings = FineTune(frozen_bn=False, freeze=freeze, train_size=train_size, window=window)
    sources = []
    for spec in train_splits:
        target, weight = parse_weight(spec)
        if target.startswith("synth:"):
            sources.append(synth_source(target, weight))
        else:
            pages = tuple(load_folder(Path(target)))
            sources.append(DataSource(target, weight, pages=pages))
    return train_model(
        sources,
        out,
        base=base,
        fit_config=fit_config,
        val_fraction=0.0,
        progress=_log_progress,
        resume=resume,
        settings=settings,
    )


def _log_progress(p: Any) -> None:
    import sys
    import time

    parts = " ".join(f"{k}={v:.4f}" for k, v in p.parts.items())
    print(
        f"{time.strftime('%H:%M:%S')} {p.phase} epoch {p.epoch}/{p.epochs} step "
        f"{p.step}/{p.total_steps} loss={p.loss:.4f} {parts} lr={p.lr:.2e} "
        f"{p.samples_per_s:.2f}/s",
        file=sys.stderr,
        flush=True,
    )


# --- scoring on validation -----------------------------------------------------------------


def detector_maps(
    model: str | Path, icdar_val: Path, device: str = "cpu", limit_side: int | None = None
) -> list[tuple[Any, Any, Any, Any]]:
    """(gt regions, prob map, image size, valid map size) per validation photo: the network
    runs once, so post-processing settings can be scored cheaply."""
    from ocrstudio.core.images import read_image
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.training.api import load_folder

    pages = load_folder(icdar_val)
    predictor = DetectionPredictor.from_checkpoint(model, device=device, limit_side=limit_side)
    out = []
    for p in pages:
        batch, sizes, shapes = predictor.prepare([read_image(p.image_path)])
        prob = predictor.forward(batch)[0]
        out.append((p.labels.regions, prob, sizes[0], shapes[0]))
    return out


def score_maps(maps: Sequence[tuple[Any, Any, Any, Any]], post: Any) -> dict[str, float]:
    """ICDAR 2015 precision / recall / H-mean of `detector_maps` under PostProcessConfig."""
    from ocrstudio.core.metrics import evaluate_detection
    from ocrstudio.core.types import Polygon, Region
    from ocrstudio.engine.detection.postprocess import boxes_from_prob

    pairs = []
    for gt, prob, size, shape in maps:
        dets = boxes_from_prob(prob, size, post, valid_size=shape)
        pairs.append(
            (gt, [Region(polygon=Polygon.from_array(d.points), det_score=d.score) for d in dets])
        )
    return evaluate_detection(pairs).as_dict()


def tune_postprocess(
    maps: Sequence[tuple[Any, Any, Any, Any]], base: Any
) -> tuple[Any, dict[str, float]]:
    """The (thresh, box_thresh, unclip_ratio) grid point with the best validation H-mean."""
    best, best_m = base, score_maps(maps, base)
    # wider than the first 27-point grid, whose best point sat on its edge
    for thresh in (0.2, 0.3, 0.4, 0.5, 0.6):
        for box in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for unclip in (1.2, 1.35, 1.5, 1.8, 2.1):
                cand = dataclasses.replace(base, thresh=thresh, box_thresh=box, unclip_ratio=unclip)
                m = score_maps(maps, cand)
                if m["hmean"] > best_m["hmean"]:
                    best, best_m = cand, m
    return best, best_m


def write_postprocess_at(
    model: Path, limit_side: int, post: Any, figures: dict[str, Any], split: Path
) -> None:
    """Keep thresholds tuned for input `limit_side` in the detector's card
    (`postprocess_at`, which `DetectionPredictor` lays over its own at that input) with
    the figures before and after under `validation.detected_at`."""
    from ocrstudio.engine.card import read_card

    fields = {k: getattr(post, k) for k in ("thresh", "box_thresh", "unclip_ratio")}
    record = {**figures["tuned"], "untuned_hmean": figures["default"]["hmean"], "split": str(split)}
    card = read_card(model)
    card = card.with_(postprocess_at={**card.postprocess_at, limit_side: fields})
    file_tuned(model, card, ("detected", record), limit_side)


def file_tuned(
    model: Path, card: ModelCard, figures: tuple[str, dict[str, Any]], limit_side: int | None
) -> None:
    """Write a detector's `card`, which holds a newly tuned setting, with the validation
    figures that chose it: `validation[figures name]` for the card's own, or for another
    input size `validation[figures name_at][N]`. A shipped card's metrics are its
    validation."""
    from ocrstudio.engine.card import write_card

    fig_name, record = figures
    validation = dict(card.validation or {})
    if limit_side is None:
        validation[fig_name] = record
    else:
        key, at = str(limit_side), f"{fig_name}_at"
        validation[at] = {**validation.get(at, {}), key: {**record, "limit_side": limit_side}}
    write_card(model, card.with_(validation=validation, metrics=validation))
