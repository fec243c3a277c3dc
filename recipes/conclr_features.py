"""Frozen-trunk features for training `rec_conclr`'s decoder on a CPU.

`rec_conclr` keeps `rec_default`'s PP-LCNetV4 trunk (stem, stages, pool) frozen, so the
trunk's output for a fixed crop is a constant: computed once here, it lets the decoder
(neck, transformer, position attention, ConCLR head) take thousands of steps where the
trunk's forward pass alone would allow a few hundred. Crops are prepared exactly as the
model reads them at inference (48 pixels high, zero-padded to at least 320 wide).

Shards of `SHARD` crops go to `OUT/NAME_K.npz`: `feats` (sum of lengths, 384) fp16 in
crop order, `lengths` (features per crop, the padding to 320 pixels included), `valid`
(features that hold the crop), `texts`. An existing shard is skipped, so a stopped run
resumes where it was.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SHARD = 500
MAX_CHARS = 25


def trunk_of(rec_default: Path) -> tuple[Any, Any, Any]:
    """rec_default's trunk (stem, stages, pool) in fp32 eval mode, its input spec and
    charset filter."""
    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.zoo import load_recognizer

    model, _ = load_recognizer(rec_default)
    net: Any = model
    return net.float().eval().backbone, net.config.input, Charset.default()


def pre_neck(backbone: Any, images: Any) -> Any:
    """(B, 3, 48, W) -> (B, 384, 1, W / 8): what the trunk hands the neck."""
    return backbone.pool(backbone.stages(backbone.stem(images)))


def _clean(text: str, keep: str) -> str | None:
    t = "".join(ch for ch in text if ch in keep).strip()
    return t if 0 < len(t) <= MAX_CHARS else None


def extract_shard(
    backbone: Any, spec: Any, samples: Sequence[tuple[np.ndarray, str]], out: Path, batch: int = 32
) -> int:
    """Features of `samples` (crop, text) into one shard file; returns the crop count."""
    import torch

    from ocrstudio.engine.recognition.preprocess import prepare_crops, resized_width

    order = sorted(
        range(len(samples)), key=lambda i: samples[i][0].shape[1] / max(1, samples[i][0].shape[0])
    )
    feats: list[np.ndarray | None] = [None] * len(samples)
    valid = [0] * len(samples)
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        images = prepare_crops([samples[i][0] for i in idx], spec)
        with torch.inference_mode():
            f = pre_neck(backbone, images)[:, :, 0].transpose(1, 2).numpy()  # (B, T, 384)
        for k, i in enumerate(idx):
            w = resized_width(samples[i][0].shape[:2], spec)
            own = max(spec.min_width, 8 * math.ceil(w / 8)) // 8
            feats[i] = f[k, :own].astype(np.float16)
            valid[i] = min(own, math.ceil(w / 8))
    arrays = [f for f in feats if f is not None]
    tmp = out.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        feats=np.concatenate(arrays),
        lengths=np.array([len(a) for a in arrays]),
        valid=np.array(valid),
        texts=np.array(json.dumps([t for _, t in samples])),
    )
    tmp.replace(out)
    return len(samples)


def pad_feature(backbone: Any, spec: Any) -> np.ndarray:
    """The trunk's feature of a zero-padded column (away from any crop): what pads a
    sequence, as the zero padding of a batch does at inference."""
    import torch

    zeros = torch.zeros(1, 3, spec.height, spec.min_width)
    with torch.inference_mode():
        f = pre_neck(backbone, zeros)[0, :, 0].transpose(0, 1).numpy()
    return f[f.shape[0] // 2].astype(np.float32)


def crop_stream(
    split: Path, keep: str, augment_seed: int | None = None
) -> Iterator[tuple[np.ndarray, str]]:
    """The legible crops of a split folder cut as training cuts them (`CropSource`,
    `CROP_MARGIN`), optionally through the training augmentation."""
    from ocrstudio.training.api import load_folder
    from ocrstudio.training.augment import augment_crop
    from ocrstudio.training.data import CropSource

    src = CropSource(load_folder(split))
    rng = np.random.default_rng(augment_seed) if augment_seed is not None else None
    for i in range(len(src)):
        img, text = src.get(i, 0)
        t = _clean(text, keep)
        if t is None or img.size == 0 or min(img.shape[:2]) < 2:
            continue
        yield (augment_crop(img, rng) if rng is not None else img), t


def synth_stream(keep: str, seed: int) -> Iterator[tuple[np.ndarray, str]]:
    """Synthetic words (`synth:words`), rendered as the training mix renders them."""
    from ocrstudio.training.synth import WordSynth, WordSynthConfig

    synth = WordSynth(
        WordSynthConfig(alphabet="".join(c for c in keep if not c.isspace())), seed=seed
    )
    i = 0
    while True:
        s = synth[i]
        i += 1
        t = _clean(s.text, keep)
        if t is not None:
            yield s.image, t


def write_shards(
    name: str,
    stream: Iterator[tuple[np.ndarray, str]],
    out: Path,
    backbone: Any,
    spec: Any,
    limit: int | None = None,
    log: Callable[[str], None] = print,
) -> int:
    """`stream` cut into shards `out/NAME_K.npz` (existing ones skipped: resume)."""
    out.mkdir(parents=True, exist_ok=True)
    total, k, buf = 0, 0, []
    for sample in stream:
        buf.append(sample)
        if len(buf) == SHARD or (limit is not None and total + len(buf) >= limit):
            path = out / f"{name}_{k:04d}.npz"
            if not path.exists():
                extract_shard(backbone, spec, buf, path)
                log(f"{path.name}: {len(buf)} crops")
            total, k, buf = total + len(buf), k + 1, []
            if limit is not None and total >= limit:
                return total
    if buf:
        path = out / f"{name}_{k:04d}.npz"
        if not path.exists():
            extract_shard(backbone, spec, buf, path)
        total += len(buf)
    return total


def extract_all(
    rec_default: Path, data: Path, out: Path, synth: int = 20_000, rounds: int = 3
) -> dict[str, int]:
    """Validation crops, then training crops, synthetic words, and augmented copies of
    the training crops (round r uses augmentation seed r), in that order."""
    backbone, spec, charset = trunk_of(rec_default)
    keep = charset.chars
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "pad.npy", pad_feature(backbone, spec))
    counts = {}
    for name in ("words_val", "icdar2015_val"):
        counts[name] = write_shards(
            f"val_{name}", crop_stream(data / name, keep), out, backbone, spec
        )
    for name in ("words_train", "icdar2015_train"):
        counts[name] = write_shards(
            f"train_{name}", crop_stream(data / name, keep), out, backbone, spec
        )
    per_round = synth // rounds
    for r in range(1, rounds + 1):
        counts[f"synth_{r}"] = write_shards(
            f"train_synth{r}", synth_stream(keep, 1000 * r), out, backbone, spec, limit=per_round
        )
        for name in ("words_train", "icdar2015_train"):
            counts[f"{name}_aug{r}"] = write_shards(
                f"train_{name}_aug{r}",
                crop_stream(data / name, keep, augment_seed=r),
                out,
                backbone,
                spec,
            )
    return counts
