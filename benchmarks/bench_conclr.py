"""rec_conclr beside rec_default, and the second opinion, on the validation crops.

- word accuracy (36-character protocol) and cased accuracy of each recognizer on
  words_val (IIIT5K/SVT crops K % 10 == 0), on the ICDAR 2015 validation words (legible
  ground-truth words of photos img_N, N % 10 == 0, cut as a detected box is cut:
  `training.data.legible_word_crops`), and on their perspective/skewed part;
- the perspective/skewed part: words whose quad is far from an upright rectangle, i.e. an
  interior angle more than `ANGLE` degrees from 90 (perspective, shear) or a top edge more
  than `TILT` degrees from horizontal (tilt). ICDAR 2015 holds quads only, no curved
  polygons, so this is the nearest to "curved" it has;
- the AUROC of "read right" (rec_default's reading right, 36-character protocol) for
  rec_default's score alone and for `services.unsure.agreement_score` (its score with
  rec_conclr's reading beside it), and at the GUI threshold (the card's, 0.9) how many
  wrong and right readings each rule flags (`UnsureRule.judge` with and without the
  second opinion).

- with `--rapidocr`, RapidOCR 3.10 (the same PP-OCRv6 weights on ONNX Runtime, where the
  `rapidocr` package is installed) on the same crops, read from PNG files as
  `bench_peers.py` reads them.

    .venv/bin/python benchmarks/bench_conclr.py [--data runs/data] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ocrstudio.core.images import read_image
from ocrstudio.core.metrics import normalize_36, score_auroc
from ocrstudio.engine.recognition.predictor import RecognitionPredictor
from ocrstudio.services.unsure import SecondOpinion, UnsureRule, agreement_score, card_threshold
from ocrstudio.training.api import load_folder
from ocrstudio.training.data import legible_word_crops

ANGLE = 10.0  # degrees an interior angle may differ from 90 in an upright-enough quad
TILT = 15.0  # degrees the top edge may differ from horizontal


def quad_shape(quad: np.ndarray) -> tuple[float, float]:
    """(largest |interior angle - 90|, |angle of the top edge|) in degrees of a clockwise
    quad starting at the top left (ICDAR 2015's order)."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    worst = 0.0
    for i in range(4):
        a, b = q[i - 1] - q[i], q[(i + 1) % 4] - q[i]
        cos = float(a @ b / max(1e-9, np.linalg.norm(a) * np.linalg.norm(b)))
        worst = max(worst, abs(math.degrees(math.acos(max(-1.0, min(1.0, cos)))) - 90.0))
    dx, dy = q[1] - q[0]
    tilt = abs(math.degrees(math.atan2(dy, dx)))
    return worst, min(tilt, 180.0 - tilt)


def is_hard_shape(quad: np.ndarray) -> bool:
    angle, tilt = quad_shape(quad)
    return angle > ANGLE or tilt > TILT


def load_crops(data: Path, limit: int | None = None) -> dict[str, Any]:
    words = load_folder(data / "words_val")[:limit]
    ic15 = load_folder(data / "icdar2015_val")[:limit]
    w_crops = [read_image(p.image_path) for p in words]
    w_truth = [p.labels.regions[0].text for p in words]
    i_crops, i_truth, hard = [], [], []
    for p in ic15:
        for r, crop in legible_word_crops(read_image(p.image_path), p.labels):
            i_crops.append(crop)
            i_truth.append(r.text)
            hard.append(is_hard_shape(r.polygon.as_array()))
    return {"words": (w_crops, w_truth), "ic15": (i_crops, i_truth), "hard": hard}


def accuracy(
    truth: list[str], reads: list[Any], keep: list[bool] | None = None
) -> dict[str, float]:
    pairs = [
        (t, r.text)
        for k, (t, r) in enumerate(zip(truth, reads, strict=True))
        if keep is None or keep[k]
    ]
    n = max(1, len(pairs))
    return {
        "word_acc": sum(normalize_36(t) == normalize_36(x) for t, x in pairs) / n,
        "word_acc_cased": sum(t == x for t, x in pairs) / n,
        "count": len(pairs),
    }


def flags(
    rule: UnsureRule, reads: list[Any], seconds: list[SecondOpinion | None], right: list[bool]
) -> dict[str, Any]:
    flagged = [
        rule.judge(r.text, r.score, None, second=s).unsure
        for r, s in zip(reads, seconds, strict=True)
    ]
    wrong_n, right_n = right.count(False), right.count(True)
    fw = sum(f and not ok for f, ok in zip(flagged, right, strict=True))
    fr = sum(f and ok for f, ok in zip(flagged, right, strict=True))
    return {
        "wrong_flagged": fw,
        "wrong": wrong_n,
        "right_flagged": fr,
        "right": right_n,
        "wrong_flagged_share": fw / max(1, wrong_n),
        "right_flagged_share": fr / max(1, right_n),
    }


def second_opinion(
    base: RecognitionPredictor,
    other: RecognitionPredictor,
    crops: list[np.ndarray],
    truth: list[str],
    source: str,
) -> dict[str, Any]:
    """AUROC and GUI flags of rec_default's readings, alone and with `other` beside."""
    reads, seconds_r = base.predict(crops), other.predict(crops)
    seconds: list[SecondOpinion | None] = [
        SecondOpinion(r.text, r.score, source) for r in seconds_r
    ]
    right = [normalize_36(t) == normalize_36(r.text) for t, r in zip(truth, reads, strict=True)]
    below = card_threshold(base.card) or 0.9
    rule = UnsureRule(below=below, source="rec_default's card")
    single = [r.score for r in reads]
    agree = [agreement_score(r.score, r.text, s) for r, s in zip(reads, seconds, strict=True)]
    return {
        "threshold": below,
        "auroc_single": score_auroc(right, single),
        "auroc_agreement": score_auroc(right, agree),
        "flags_single": flags(rule, reads, [None] * len(reads), right),
        "flags_with_second_opinion": flags(rule, reads, seconds, right),
        "disagree": sum(
            s is not None and s.text.strip() != r.text.strip()
            for r, s in zip(reads, seconds, strict=True)
        ),
    }


class _Text:
    def __init__(self, text: str):
        self.text, self.score = text, 1.0


def rapidocr_reads(crops: list[np.ndarray]) -> list[_Text]:
    """RapidOCR 3.10's recognizer alone on each crop (as `bench_peers.py` runs it)."""
    import cv2
    from rapidocr import RapidOCR

    ocr = RapidOCR(params={"Global.log_level": "error"})
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, crop in enumerate(crops):
            path = Path(tmp) / f"{i}.png"
            cv2.imwrite(str(path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            res = ocr(str(path), use_det=False, use_cls=False, use_rec=True)
            txts = getattr(res, "txts", None)  # a recognition-only run's output
            out.append(_Text(txts[0] if txts else ""))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="runs/data", help="recipes splits folder")
    p.add_argument("--base", default="resources/models/rec_default")
    p.add_argument("--other", default="resources/models/rec_conclr")
    p.add_argument("--json", help="also write the figures here")
    p.add_argument("--rapidocr", action="store_true", help="RapidOCR 3.10 beside them")
    p.add_argument("--limit", type=int, help="first N crops and photos only (a smoke test)")
    a = p.parse_args(argv)
    crops = load_crops(Path(a.data), a.limit)
    out: dict[str, Any] = {
        "hard_shape_rule": f"interior angle > {ANGLE} deg from 90 or "
        f"top edge > {TILT} deg from horizontal"
    }
    preds = {
        name: RecognitionPredictor.from_checkpoint(path, device="cpu", batch_size=32)
        for name, path in (("rec_default", a.base), ("rec_conclr", a.other))
    }
    for name, pred in preds.items():
        w_crops, w_truth = crops["words"]
        i_crops, i_truth = crops["ic15"]
        i_reads = pred.predict(i_crops)
        out[name] = {
            "words_val": accuracy(w_truth, pred.predict(w_crops)),
            "ic15_val_words": accuracy(i_truth, i_reads),
            "ic15_val_hard_shape": accuracy(i_truth, i_reads, crops["hard"]),
            "ic15_score_auroc": score_auroc(
                [
                    normalize_36(t) == normalize_36(r.text)
                    for t, r in zip(i_truth, i_reads, strict=True)
                ],
                [r.score for r in i_reads],
            ),
        }
    i_crops, i_truth = crops["ic15"]
    if a.rapidocr:
        w_crops, w_truth = crops["words"]
        rapid: list[Any] = rapidocr_reads(i_crops)
        out["rapidocr_3.10"] = {
            "words_val": accuracy(w_truth, rapidocr_reads(w_crops)),
            "ic15_val_words": accuracy(i_truth, rapid),
            "ic15_val_hard_shape": accuracy(i_truth, rapid, crops["hard"]),
        }
    out["second_opinion_ic15"] = second_opinion(
        preds["rec_default"], preds["rec_conclr"], i_crops, i_truth, Path(a.other).name
    )
    print(json.dumps(out, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
