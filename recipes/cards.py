"""Shipping a model: fp16 weights in shards plus a model card, scored on validation."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from ocrstudio.core.errors import InputError
from recipes.detector import detector_maps, score_maps, tune_postprocess


def evaluate_recognizer(model: str | Path, split: Path, device: str = "cpu") -> dict[str, float]:
    """Word accuracy (36 chars), cased accuracy, CER, 1-NED, and the AUROC of the reading
    score for "read right", on a split of word crops, or of photos (their legible
    ground-truth words cut as `OcrPredictor` cuts a box, with `CROP_MARGIN`)."""
    from ocrstudio.core.images import read_image
    from ocrstudio.core.metrics import evaluate_recognition, normalize_36, score_auroc
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.training.api import folder_format, load_folder
    from ocrstudio.training.data import legible_word_crops

    pages = load_folder(split)
    words = folder_format(split) == "words"
    crops, truth = [], []
    for p in pages:
        img = read_image(p.image_path)
        if words:
            crops.append(img)
            truth.append(p.labels.regions[0].text)
            continue
        for r, crop in legible_word_crops(img, p.labels):
            crops.append(crop)
            truth.append(r.text)
    results = RecognitionPredictor.from_checkpoint(model, device=device).predict(crops)
    texts = [r.text for r in results]
    right = [normalize_36(t) == normalize_36(x) for t, x in zip(truth, texts, strict=True)]
    return {
        **evaluate_recognition(zip(truth, texts, strict=True)).as_dict(),
        "score_auroc_read_right": score_auroc(right, [r.score for r in results]),
    }


CARD_FIELDS = (
    "name",
    "role",
    "architecture",
    "data",
    "validation",
    "training",
    "hardware",
    "lineage",
    "licence",
    "limitations",
)
LICENCES = {
    "crnn_g2": "Weights fine-tuned from EasyOCR english_g2 (Apache-2.0, JaidedAI); the "
    "fine-tuning is this project's work.",
    "dbnet_vgg16_craft": "Trunk initialised from CRAFT craft_mlt_25k (MIT, NAVER Clova AI); "
    "FPN/head and fine-tuning are this project's work.",
    "ppocr_det_v6": "Apache-2.0: PaddleOCR PP-OCRv6 small detector weights (PaddlePaddle), "
    "from RapidOCR 3.10.0's wheel; fine-tuning is this project's work.",
    "ppocr_rec_v6": "Apache-2.0: PaddleOCR PP-OCRv6 small recognizer weights (PaddlePaddle), "
    "from RapidOCR 3.10.0's wheel; fine-tuning is this project's work.",
}


def ship(
    checkpoint: Path, dest: Path, fields: dict[str, Any], postprocess: dict[str, Any] | None = None
) -> Path:
    """Copy a checkpoint to `dest` with fp16 weights (see `_half`), its card extended by
    `fields` (a recipe's JSON, which must hold every CARD_FIELDS entry; `postprocess`
    overrides a detector's thresholds). Training history stays in the card, optimiser
    state is not shipped."""
    from ocrstudio.engine.card import card_from_json
    from ocrstudio.engine.checkpoint import load_checkpoint, save_checkpoint

    missing = [f for f in CARD_FIELDS if f not in fields]
    if missing:
        raise InputError(f"model card lacks {missing}", dest)
    state, card = load_checkpoint(checkpoint)
    # the loop's own record (fit config, per-epoch history) stays under the card's training
    training = {**(card.training or {}), **fields["training"]}
    card = card_from_json(
        {**card.to_json(), **fields, "training": training, "metrics": fields["validation"]}, dest
    )
    if postprocess:
        from ocrstudio.engine.zoo import get_spec

        cfg = get_spec(card.architecture).config(card.config)
        cfg = dataclasses.replace(
            cfg, postprocess=dataclasses.replace(cfg.postprocess, **postprocess)
        )
        card = card.with_(config=dataclasses.asdict(cfg))
    if dest.exists():
        shutil.rmtree(dest)
    return save_checkpoint(
        dest, {k: _half(k, v) for k, v in state.items()}, card, shard_bytes=SHARD_BYTES
    )


FP16_MAX = 65504.0
# No shipped file over 16 MiB: what a repository keeps well, and what comes back from the
# lent GPU machine in one piece.
SHARD_BYTES = 16 * 1024 * 1024


def _half(name: str, t: Any) -> Any:
    """fp16 for weights; BatchNorm statistics and anything beyond fp16's range stay fp32
    (a DB head's running variances reach 1e6, which fp16 turns into inf)."""
    if not t.is_floating_point() or "running_" in name or float(t.abs().max()) >= FP16_MAX:
        return t
    return t.half()


def ship_and_score(
    checkpoint: Path, dest: Path, fields: dict[str, Any], split: Path, tune: bool = False
) -> dict[str, Any]:
    """Ship (fp16), then score the shipped weights themselves on the validation `split`
    and store the figures in the card (a detector's tuned thresholds too, when `tune`)."""
    from ocrstudio.engine.card import read_card

    role = read_card(checkpoint).role
    ship(checkpoint, dest, {**fields, "validation": fields.get("validation", {})})
    post = None
    if role == "recognizer":
        metrics: dict[str, Any] = evaluate_recognizer(dest, split)
    else:
        from ocrstudio.engine.detection.predictor import DetectionPredictor
        from ocrstudio.engine.zoo import load_model

        _, card = load_model(dest)
        maps = detector_maps(dest, split)
        base = DetectionPredictor.postprocess_config(None, card)
        metrics = score_maps(maps, base)
        if tune:
            best, tuned = tune_postprocess(maps, base)
            if tuned["hmean"] > metrics["hmean"]:
                metrics = {**tuned, "untuned_hmean": metrics["hmean"]}
                post = {k: getattr(best, k) for k in ("thresh", "box_thresh", "unclip_ratio")}
    metrics["split"] = str(split)
    ship(checkpoint, dest, {**fields, "validation": metrics}, postprocess=post)
    return metrics
