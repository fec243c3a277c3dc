"""The kinds of page `bench_peers.py` reads, and the page-level figures it gives every engine.

Kinds (`KINDS`): `icdar15`, the ICDAR 2015 validation photos; `funsd`, the FUNSD held-out
forms (a word with empty text is unreadable: don't care); `receipts`, `screenshots`,
`documents` (only pages of 250 to 350 words: the issue's dense page) and `forms`, pages
rendered by `ocrstudio.training.synth.pages.render_page` with seeds from `RENDER_SEED` on
(held out from training), written as PNG + ICDAR 2015 labels and read back like any data
folder. Every kind's labels are words.

Figures per kind, pooled over its pages (`kind_scores`):

- words found: a bag of words per page, texts split at whitespace, case kept; found words
  count where the page's ground truth has them (multiset intersection); recall, precision
  and F1. Found regions that the ICDAR 2015 rule counts as don't care (more than half
  their area inside a don't-care word) are left out, for every engine alike.
- CER of the page text: the ground truth's words and the found regions are each laid out
  by `core.lines.layout_lines` (the reading order: lines along the text's baselines, the
  words of a line left to right), runs of spaces made one space (layout's column padding
  follows the box widths, not the reading), lines joined by newlines; the edit distance
  to the ground truth's text over its length, summed over the pages.
- detection P/R/H-mean, end-to-end and word-spotting H-mean: the official ICDAR 2015
  rules (`core.metrics`), IoU 0.5 to the word boxes.
- seconds per page from the file, the first page (lazy set-up) not counted.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ocrstudio.core.lines import layout_lines
from ocrstudio.core.metrics import (
    edit_distance,
    evaluate_detection,
    evaluate_end_to_end,
    evaluate_word_spotting,
    hmean,
    match_page,
)
from ocrstudio.core.types import Region
from ocrstudio.training.api import load_folder

KINDS = ("icdar15", "funsd", "receipts", "screenshots", "documents", "forms")
RENDERED = {
    "receipts": "receipt", "screenshots": "screenshot", "documents": "document", "forms": "form"
}  # fmt: skip
DENSE = (250, 350)  # words a `documents` page holds: #26's dense page is about 300 words
RENDER_SEED = 1_000_000  # rendered pages' seeds from here on: training uses lower ones
GOAL = {"fast": 1.0, "accurate": 2.0}  # #26: a dense page's time as a multiple of RapidOCR 3
_SPACES = re.compile(r" +")


# --- metrics --------------------------------------------------------------------------------


def cared_found(gt: Sequence[Region], found: Sequence[Region]) -> list[Region]:
    """The found regions that count: not flagged ignore, not don't care by the ICDAR rule."""
    dropped = set(match_page(gt, found).det_dont_care)
    return [r for j, r in enumerate(found) if j not in dropped and not r.ignore]


def bag(regions: Sequence[Region]) -> Counter[str]:
    """The words of legible regions, split at whitespace, case kept."""
    return Counter(w for r in regions if not r.ignore for w in r.text.split())


def words_found(gt: Sequence[Region], found: Sequence[Region]) -> tuple[int, int, int]:
    """(found words the ground truth has, ground-truth words, found words) of one page."""
    truth, seen = bag(gt), bag(cared_found(gt, found))
    return sum((truth & seen).values()), sum(truth.values()), sum(seen.values())


def page_text(regions: Sequence[Region]) -> str:
    """The page's text in reading order (`layout_lines`), runs of spaces made one."""
    legible = [r for r in regions if not r.ignore and r.text.strip()]
    lines = layout_lines([r.polygon for r in legible], [r.text for r in legible])
    return "\n".join(_SPACES.sub(" ", line).strip() for line in lines)


def page_cer(gt: Sequence[Region], found: Sequence[Region]) -> tuple[int, int]:
    """(edit distance, ground-truth length) of the page texts."""
    truth = page_text(gt)
    return edit_distance(page_text(cared_found(gt, found)), truth), len(truth)


def kind_scores(
    gts: Sequence[Sequence[Region]], found: Sequence[Sequence[Region]], seconds: Sequence[float]
) -> dict[str, float]:
    """All of one engine's figures on one kind's pages (see the module's docstring)."""
    pairs = [(g, f) for g, f in zip(gts, found, strict=True)]
    det, e2e, spot = (
        evaluate_detection(pairs),
        evaluate_end_to_end(pairs),
        evaluate_word_spotting(pairs),
    )
    hit = truth = seen = dist = chars = 0
    for g, f in pairs:
        h, t, s = words_found(g, f)
        d, n = page_cer(g, f)
        hit, truth, seen, dist, chars = hit + h, truth + t, seen + s, dist + d, chars + n
    recall, precision = hit / max(truth, 1), hit / max(seen, 1)
    steady = list(seconds[1:] or seconds)
    return {
        "words_f1": hmean(precision, recall),
        "words_recall": recall,
        "words_precision": precision,
        "cer": dist / max(chars, 1),
        "e2e_hmean": e2e.hmean,
        "spot_hmean": spot.hmean,
        "det_hmean": det.hmean,
        "det_precision": det.precision,
        "det_recall": det.recall,
        "s_per_page": float(np.mean(steady)) if steady else 0.0,
        "found_words_per_page": seen / max(len(pairs), 1),
    }


# --- the kinds' pages -----------------------------------------------------------------------


def load_kinds(
    names: Sequence[str], splits: Path, tmp: Path, count: int, rendered: int, dense: int
) -> tuple[dict[str, list[Any]], list[str]]:
    """Each kind's pages (`LabeledPage`s): the first `count` of a data folder, `rendered`
    of a rendered kind, `dense` of `documents` (made under `tmp`); and why any kind was
    skipped."""
    pages: dict[str, list[Any]] = {}
    skipped: list[str] = []
    folders = {"icdar15": splits / "icdar2015_val", "funsd": splits / "funsd_val"}
    for name in names:
        if name in folders:
            if folders[name].is_dir():
                pages[name] = load_folder(folders[name])[:count]
            else:
                skipped.append(f"{name}: no {folders[name].name} split (is the data there?)")
            continue
        found, why = render_kind(name, dense if name == "documents" else rendered, tmp / name)
        if why:
            skipped.append(why)
        else:
            pages[name] = found
    return pages, skipped


def render_kind(kind: str, count: int, out: Path) -> tuple[list[Any], str]:
    """`count` rendered pages of a kind in `out` (images/ + gt/), or why there are none.
    `documents` keeps only pages of `DENSE` words (#26's 300-word page), trying at most
    ten seeds a page."""
    try:
        from ocrstudio.training.synth.pages import render_page
    except ImportError:
        return [], f"{kind}: rendered pages: ocrstudio.training.synth.pages not available"
    import cv2

    from ocrstudio.formats import write_labels

    (out / "images").mkdir(parents=True, exist_ok=True)
    labels = []
    for seed in range(RENDER_SEED, RENDER_SEED + 10 * count):
        try:
            image, page = render_page(RENDERED[kind], seed)
        except (ValueError, KeyError) as exc:  # a kind the renderer does not make
            return [], f"{kind}: render_page({RENDERED[kind]!r}) failed: {exc}"
        if kind == "documents" and not DENSE[0] <= sum(bag(page.regions).values()) <= DENSE[1]:
            continue
        name = f"{RENDERED[kind]}_{seed}.png"
        cv2.imwrite(str(out / "images" / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        h, w = image.shape[:2]
        labels.append(dataclasses.replace(page, image=name, width=w, height=h))
        if len(labels) == count:
            break
    write_labels("icdar2015", labels, out / "gt")
    return load_folder(out), ""


def words_per_page(pages: Sequence[Any]) -> float:
    """The mean count of legible ground-truth words a page."""
    return sum(sum(bag(p.labels.regions).values()) for p in pages) / max(len(pages), 1)


# --- peers ---------------------------------------------------------------------------------

# What each peer needs in the peers' venv; a peer whose check fails is skipped.
PEER_CHECKS = {
    "rapidocr3": "import rapidocr",
    "rapidocr": "import rapidocr_onnxruntime",
    "tesseract": "import pytesseract; pytesseract.get_tesseract_version()",
}


def peer_missing(python: str, engine: str) -> str:
    """Why a peer cannot run here ("" when it can)."""
    if not Path(python).exists():
        return f"{engine}: no {python} (make peers)"
    check = subprocess.run([python, "-c", PEER_CHECKS[engine]], capture_output=True, text=True)
    if check.returncode:
        last = (check.stderr.strip().splitlines() or ["failed"])[-1]
        return f"{engine}: not installed in the peers' venv ({last})"
    return ""


# --- tables ---------------------------------------------------------------------------------

KIND_COLS = (
    "words_f1", "words_recall", "cer", "e2e_hmean", "det_hmean", "det_precision",
    "det_recall", "s_per_page", "x_rapidocr3",
)  # fmt: skip


def kind_tables(results: dict[str, Any], out: TextIO) -> None:
    """A table per kind, an engine a row; `x_rapidocr3`: seconds per page over RapidOCR 3's."""
    for kind, info in results["kinds"].items():
        out.write(
            f"\n{kind}: {info['pages']} pages, {info['gt_words_per_page']:.0f} words a page\n"
        )
        out.write(f"{'engine':<20}" + "".join(f"{c:>14}" for c in KIND_COLS) + "\n")
        for engine, row in info["engines"].items():
            cells = "".join(f"{row[c]:>14.3f}" if c in row else f"{'-':>14}" for c in KIND_COLS)
            out.write(f"{engine:<20}{cells}\n")


def add_ratios(results: dict[str, Any], peer: str = "rapidocr3") -> None:
    """Each engine's seconds per page over the peer's, per kind (when the peer ran)."""
    for info in results["kinds"].values():
        base = info["engines"].get(peer, {}).get("s_per_page")
        for row in info["engines"].values():
            if base:
                row[f"x_{peer}"] = row["s_per_page"] / base


def timing_table(results: dict[str, Any], out: TextIO, peer: str = "rapidocr3") -> None:
    """Dense-page timing against #26's goal: `fast` within 1x, `accurate` within 2x the
    peer's seconds per page."""
    out.write(f"\ndense-page timing (s/page; goal: fast <= 1.0x, accurate <= 2.0x {peer})\n")
    for kind, info in results["kinds"].items():
        rows = info["engines"]
        cells = ", ".join(f"{e} {r['s_per_page']:.3f}" for e, r in rows.items())
        verdicts = []
        for preset, limit in GOAL.items():
            ratio = rows.get(f"ocrstudio_{preset}", {}).get(f"x_{peer}")
            if ratio is not None:
                verdicts.append(f"{preset} {ratio:.2f}x ({'met' if ratio <= limit else 'NOT met'})")
        out.write(
            f"  {kind} ({info['gt_words_per_page']:.0f} words): {cells}; {'; '.join(verdicts)}\n"
        )
