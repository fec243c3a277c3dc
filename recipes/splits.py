"""The holdout rule of the shipped models and the split folders it materialises."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from ocrstudio.core.errors import InputError

_NUM = re.compile(r"(\d+)")
WORD_SETS = ("iiit5k_train", "svt_train")


def default_data() -> Path:
    """Where the benchmark data is expected: $OCRSTUDIO_SHARED_DATA, else `shared/data`
    beside the repository of a source checkout (`../shared/data` from its root)."""
    env = os.environ.get("OCRSTUDIO_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


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


def link_file(src: Path, dst: Path) -> None:
    """`dst` a symlink to `src` (replacing what was there): split folders hold no copies."""
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
        link_file(img, out / part / "images" / img.name)
        link_file(gt, out / part / "gt" / gt.name)
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
            link_file(img, out / part / "images" / f"{stem}{img.suffix}")
            link_file(label, out / part / "labels" / f"{stem}.txt")
            counts[part] += 1
    return counts


FUNSD_EVERY = 5  # FUNSD pages in name order: every fifth is held out (30 of 149)


def funsd_pages(data: Path) -> list[Path]:
    """FUNSD's training pages in name order (the order the holdout rule counts in)."""
    root = data / "funsd_train"
    pages = sorted((root / "images").glob("*.png"))
    if not pages:
        raise InputError("no FUNSD pages (N.png) here", root / "images")
    return pages


def is_funsd_validation(index: int) -> bool:
    """The FUNSD holdout rule: the page at `index` in name order is held out when it is a
    multiple of FUNSD_EVERY. FUNSD's page names are document ids, not a count, so the rule
    counts positions instead of reading the number."""
    return index % FUNSD_EVERY == 0


def write_funsd_splits(data: Path, out: Path) -> dict[str, int]:
    """`out/funsd_{train,val}/{images,annotations}` linking FUNSD's training pages."""
    counts = {"funsd_train": 0, "funsd_val": 0}
    for i, img in enumerate(funsd_pages(data)):
        part = "funsd_val" if is_funsd_validation(i) else "funsd_train"
        ann = data / "funsd_train" / "annotations" / f"{img.stem}.json"
        if not ann.is_file():
            raise InputError("annotation missing for this page", ann)
        link_file(img, out / part / "images" / img.name)
        link_file(ann, out / part / "annotations" / ann.name)
        counts[part] += 1
    return counts


SPLIT_FOLDERS = (
    "icdar2015_train",
    "icdar2015_val",
    "words_train",
    "words_val",
    "funsd_train",
    "funsd_val",
)


def write_splits(data: Path, out: Path) -> dict[str, int]:
    """Every split folder set under `out` (replacing what was there); FUNSD's when the
    data has it."""
    for part in SPLIT_FOLDERS:
        if (out / part).exists():
            shutil.rmtree(out / part)
    counts = {**write_icdar_splits(data, out), **write_word_splits(data, out)}
    if (data / "funsd_train" / "images").is_dir():
        counts.update(write_funsd_splits(data, out))
    return counts
