"""`ocrstudio eval det|rec`: score predictions against ground truth, one JSON line on stdout.

det: pages pair up by image stem (`gt_` / `res_` prefixes ignored); a ground-truth page
without a prediction counts as no detections, a prediction without ground truth is an
error. rec: crops pair up by path, else by file stem; a crop without a prediction counts
as an empty prediction.
"""

from __future__ import annotations

import argparse
from pathlib import Path

FORMAT_CHOICES = ("icdar2015", "icdar2013", "polygon", "paddleocr", "labelme", "mmocr", "words")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="score predictions against ground truth (one JSON line on stdout)"
    )
    kinds = parser.add_subparsers(dest="eval_kind", metavar="KIND", required=True)
    det = kinds.add_parser(
        "det", help="detection P/R/H-mean by the ICDAR 2015 protocol (+ end-to-end with text)"
    )
    _common_args(det)
    det.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default=None,
        help="labels format of both sides (default: detected for each side)",
    )
    det.set_defaults(handler=run_det)
    rec = kinds.add_parser("rec", help="word accuracy, CER and 1-NED of recognised crops")
    _common_args(rec)
    rec.add_argument(
        "--format",
        choices=("words",),
        default="words",
        help="words: an images/ + labels/ folder or an image<TAB>text list (the default)",
    )
    rec.set_defaults(handler=run_rec)


def _common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gt", type=Path, required=True, help="ground-truth labels")
    parser.add_argument("--pred", type=Path, required=True, help="predicted labels")


def _print_json(result: dict) -> None:
    import json

    print(json.dumps(result), flush=True)


def run_det(args: argparse.Namespace) -> int:
    from ocrstudio.core.metrics import (
        evaluate_detection,
        evaluate_end_to_end,
        evaluate_word_spotting,
    )

    gt_pages, pred_pages = _read_side(args.gt, args.format), _read_side(args.pred, args.format)
    pairs = pair_pages(gt_pages, pred_pages, args.pred)
    result: dict = {}
    det = evaluate_detection(pairs)
    result.update(
        precision=det.precision,
        recall=det.recall,
        hmean=det.hmean,
        images=det.images,
        matched=det.matched,
        gt_care=det.gt_care,
        det_care=det.det_care,
    )
    if _has_text(gt_pages) and _has_text(pred_pages):
        e2e, spot = evaluate_end_to_end(pairs), evaluate_word_spotting(pairs)
        result.update(
            e2e_precision=e2e.precision,
            e2e_recall=e2e.recall,
            e2e_hmean=e2e.hmean,
            spot_precision=spot.precision,
            spot_recall=spot.recall,
            spot_hmean=spot.hmean,
        )
    _print_json(result)
    return 0


def _read_side(path: Path, fmt: str | None) -> list:
    from ocrstudio.core.errors import InputError
    from ocrstudio.formats import detect_format, read_labels

    if not path.exists():
        raise InputError("no such file or folder", path)
    if path.is_dir() and not any(p.is_file() for p in path.iterdir()):
        return []  # an empty prediction folder: nothing detected anywhere
    return read_labels(fmt or detect_format(path), path)


def page_key(image: str) -> str:
    stem = Path(image).stem
    for prefix in ("gt_", "res_"):
        if stem.startswith(prefix):
            return stem[len(prefix) :]
    return stem


def pair_pages(gt_pages: list, pred_pages: list, pred_path: Path) -> list[tuple]:
    """(gt regions, predicted regions) per ground-truth page, paired by image stem."""
    from ocrstudio.core.errors import InputError

    preds: dict[str, tuple] = {}
    for page in pred_pages:
        key = page_key(page.image)
        if key in preds:
            raise InputError(f"two predictions for image {key!r}", pred_path)
        preds[key] = page.regions
    gt_keys = set()
    pairs = []
    for page in gt_pages:
        key = page_key(page.image)
        if key in gt_keys:
            raise InputError(f"two ground-truth pages for image {key!r}")
        gt_keys.add(key)
        pairs.append((page.regions, preds.get(key, ())))
    unknown = sorted(set(preds) - gt_keys)
    if unknown:
        raise InputError(f"prediction for image {unknown[0]!r} has no ground truth", pred_path)
    return pairs


def _has_text(pages: list) -> bool:
    return any(r.text for page in pages for r in page.legible)


def run_rec(args: argparse.Namespace) -> int:
    import logging

    from ocrstudio.core.metrics import evaluate_recognition
    from ocrstudio.formats.words import read_word_texts

    gt = read_word_texts(args.gt)
    pred = read_word_texts(args.pred)
    by_path = {_norm(ref): text for ref, text, _, _ in pred}
    stems: dict[str, list[str]] = {}
    for ref, text, _, _ in pred:
        stems.setdefault(Path(ref).stem, []).append(text)
    pairs, missing = [], 0
    for ref, text, _, _ in gt:
        guess = by_path.get(_norm(ref))
        if guess is None and len(stems.get(Path(ref).stem, ())) == 1:
            guess = stems[Path(ref).stem][0]
        missing += guess is None
        pairs.append((text, guess or ""))
    if missing:
        logging.getLogger(__name__).warning("%d of %d crops have no prediction", missing, len(gt))
    _print_json(evaluate_recognition(pairs).as_dict())
    return 0


def _norm(ref: str) -> str:
    return Path(ref).as_posix().removeprefix("./")
