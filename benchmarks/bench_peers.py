"""ocrstudio's shipped models vs RapidOCR (PP-OCRv4 mobile, ONNX Runtime) vs Tesseract, in
one run, on the validation split of `recipes` (ICDAR 2015 photos img_N
with N % 10 == 0; IIIT5K/SVT crops K % 10 == 0):

- photos: detection P/R/H-mean, end-to-end and word-spotting H-mean (the official ICDAR
  2015 script's rules, `core.metrics`), and seconds per photo from the file in steady
  state (models loaded, first photo not timed; with `--repeat N` each photo's fastest of N
  reads, for every engine);
- crops: word accuracy (36-character protocol), cased accuracy, CER, crops per second;
- cold start of `ocrstudio ocr` (process start to first result, one photo).

The peers run in their own virtual environment (`--peers-python`, default
`.venv-peers/bin/python`: rapidocr-onnxruntime pulls opencv-python, whose Qt plugins clash
with PySide6) as one subprocess per engine and task, which loads the engine once, reads
every image and prints JSON lines. Tesseract runs through pytesseract (word boxes from
`image_to_data`; crops with `--psm 7`, one text line).

    .venv/bin/python benchmarks/bench_peers.py [--photos N] [--crops N] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ocrstudio.core.images import read_image
from ocrstudio.core.metrics import (
    evaluate_detection,
    evaluate_end_to_end,
    evaluate_recognition,
    evaluate_word_spotting,
    normalize_36,
)
from ocrstudio.core.metrics import score_auroc as read_right_auroc
from ocrstudio.core.types import Polygon, Region
from ocrstudio.training.api import load_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/: the repo's root
from recipes import default_data, write_splits  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# Runs inside the peers' venv: argv[1] = engine, argv[2] = "photos" | "crops"; image
# paths on stdin; one JSON line per image: {"regions": [[points, text]], "seconds": s}.
PEER_SCRIPT = r"""
import json, sys, time
engine, task, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
paths = [l.strip() for l in sys.stdin if l.strip()]
if engine == "rapidocr":
    from rapidocr_onnxruntime import RapidOCR
    ocr = RapidOCR()
    def run(p):
        if task == "crops":
            res, _ = ocr(p, use_det=False, use_cls=False, use_rec=True)
            return [[None, res[0][0] if res else ""]]
        res, _ = ocr(p)
        return [[[[float(x), float(y)] for x, y in box], text] for box, text, _ in (res or [])]
elif engine == "rapidocr3":
    from rapidocr import RapidOCR
    ocr = RapidOCR(params={"Global.log_level": "error"})
    def run(p):
        if task == "crops":
            res = ocr(p, use_det=False, use_cls=False, use_rec=True)
            return [[None, res.txts[0] if res.txts else ""]]
        res = ocr(p, return_word_box=True)  # ICDAR 2015 marks words: its word boxes
        out = []
        for line in res.word_results or ():
            items = (line,) if line and isinstance(line[0], str) else (line or ())
            for item in items:  # a line of one word may come unwrapped
                if len(item) == 3 and item[2] is not None and str(item[0]).strip():
                    out.append([[[float(x), float(y)] for x, y in item[2]], str(item[0])])
        return out
else:
    import pytesseract
    from PIL import Image
    def run(p):
        img = Image.open(p).convert("RGB")
        if task == "crops":
            return [[None, pytesseract.image_to_string(img, config="--psm 7").strip()]]
        d = pytesseract.image_to_data(img, output_type=pytesseract.Output.DICT)
        out = []
        for i, text in enumerate(d["text"]):
            if text.strip() and float(d["conf"][i]) >= 0:
                x, y, w, h = d["left"][i], d["top"][i], d["width"][i], d["height"][i]
                out.append([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]], text.strip()])
        return out
for p in paths:
    best = float("inf")
    for _ in range(repeat if task == "photos" else 1):
        t0 = time.perf_counter()
        regions = run(p)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"image": p, "regions": regions, "seconds": best}), flush=True)
"""


def _regions(raw: list[list[Any]]) -> list[Region]:
    out = []
    for pts, text in raw:
        arr = np.asarray(pts, np.float32)
        if len(arr) < 3:
            continue
        (ax, ay), (bx, by) = arr[1] - arr[0], arr[2] - arr[0]
        if abs(float(ax * by - ay * bx)) > 1e-3:  # not degenerate
            out.append(Region(polygon=Polygon.from_array(arr), text=text))
    return out


def photo_scores(
    gts: list[Any], found: list[list[Region]], seconds: list[float]
) -> dict[str, float]:
    pairs = [(g.labels.regions, f) for g, f in zip(gts, found, strict=True)]
    det, e2e, spot = (
        evaluate_detection(pairs),
        evaluate_end_to_end(pairs),
        evaluate_word_spotting(pairs),
    )
    steady = seconds[1:] or seconds
    return {
        "det_precision": det.precision,
        "det_recall": det.recall,
        "det_hmean": det.hmean,
        "e2e_hmean": e2e.hmean,
        "spot_hmean": spot.hmean,
        "s_per_photo": float(np.mean(steady)),
    }


def crop_scores(gts: list[Any], texts: list[str], seconds: float) -> dict[str, float]:
    res = evaluate_recognition(
        (g.labels.regions[0].text, t) for g, t in zip(gts, texts, strict=True)
    )
    return {
        "word_acc": res.word_acc,
        "word_acc_cased": res.word_acc_cased,
        "cer": res.cer,
        "crops_per_s": len(texts) / seconds,
    }


def run_peer(
    python: str, engine: str, task: str, pages: list[Any], repeat: int = 1
) -> list[dict[str, Any]]:
    paths = "\n".join(str(p.image_path) for p in pages)
    proc = subprocess.run(
        [python, "-c", PEER_SCRIPT, engine, task, str(repeat)],
        input=paths,
        text=True,
        capture_output=True,
        check=True,
    )
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def bench_peer(
    python: str, engine: str, photos: list[Any], crops: list[Any], words: list[Any], repeat: int = 1
) -> dict[str, float]:
    rows = run_peer(python, engine, "photos", photos, repeat)
    out = photo_scores(photos, [_regions(r["regions"]) for r in rows], [r["seconds"] for r in rows])
    for prefix, pages in (("", crops), ("ic15_", words)):
        rows = run_peer(python, engine, "crops", pages)
        texts = [r["regions"][0][1] for r in rows]
        # the first crop pays for lazy set-up; leave it out like the first photo
        seconds = sum(r["seconds"] for r in rows[1:]) * len(rows) / max(1, len(rows) - 1)
        out.update({prefix + k: v for k, v in crop_scores(pages, texts, seconds).items()})
    return out


def icdar_word_crops(photos: list[Any], out: Path) -> list[Any]:
    """The legible ground-truth words of the validation photos as crop files (10 % margin,
    as `OcrPredictor` cuts them), each a one-region page, for every engine alike."""
    import cv2

    from ocrstudio.core.types import PageLabels
    from ocrstudio.training.data import legible_word_crops

    pages = []
    out.mkdir(parents=True, exist_ok=True)
    for p in photos:
        for i, (r, crop) in enumerate(legible_word_crops(read_image(p.image_path), p.labels)):
            path = out / f"{Path(p.image_path).stem}_{i}.png"
            cv2.imwrite(str(path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            pages.append(
                dataclasses.replace(
                    p,
                    image_path=path,
                    labels=PageLabels(
                        image=path.name, regions=(r,), width=crop.shape[1], height=crop.shape[0]
                    ),
                )
            )
    return pages


def bench_ocrstudio(
    preset: str, photos: list[Any], crops: list[Any], words: list[Any], repeat: int = 1
) -> dict[str, Any]:
    from ocrstudio.services.ocr import load_ocr, resolve_model

    ocr = load_ocr(None, None, "cpu", preset)  # fast: the int8 detector (built if missing)
    found, seconds = [], []
    for p in photos:
        best = float("inf")
        for _ in range(repeat):  # from the file, as the peers are timed
            t0 = time.perf_counter()
            page = ocr.predict(read_image(p.image_path))
            best = min(best, time.perf_counter() - t0)
        seconds.append(best)
        found.append(list(page.regions))
    out: dict[str, Any] = photo_scores(photos, found, seconds)
    predictor = ocr.rec
    for prefix, pages in (("", crops), ("ic15_", words)):
        images = [read_image(p.image_path) for p in pages]
        predictor.predict(images[:8])  # warm-up
        t0 = time.perf_counter()
        results = predictor.predict(images)
        texts = [r.text for r in results]
        out.update(
            {prefix + k: v for k, v in crop_scores(pages, texts, time.perf_counter() - t0).items()}
        )
        out[prefix + "score_auroc"] = score_auroc(pages, results)
    return {
        **out,
        "models": f"{resolve_model(None, 'detector', preset).name} + "
        f"{resolve_model(None, 'recognizer', preset).name}",
    }


def score_auroc(pages: list[Any], results: list[Any]) -> float:
    """How well a reading's score separates right from wrong readings (36-char rule)."""
    right = [
        normalize_36(p.labels.regions[0].text) == normalize_36(r.text)
        for p, r in zip(pages, results, strict=True)
    ]
    return read_right_auroc(right, [r.score for r in results])


def cold_start(photo: Path, preset: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "ocrstudio"),
            "ocr",
            "--device",
            "cpu",
            "--preset",
            preset,
            str(photo),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(default_data()))
    ap.add_argument("--photos", type=int, default=100, help="validation photos (max 100)")
    ap.add_argument("--crops", type=int, default=225, help="validation crops (max 225)")
    ap.add_argument("--peers-python", default=str(REPO / ".venv-peers" / "bin" / "python"))
    ap.add_argument("--presets", nargs="+", default=["accurate", "fast"])
    ap.add_argument(
        "--peers",
        nargs="*",
        default=["rapidocr3", "rapidocr", "tesseract"],
        help="rapidocr3: RapidOCR 3.10 (PP-OCRv6 small, word boxes); rapidocr: "
        "RapidOCR 1.4 (PP-OCRv4 mobile)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="read each photo this many times and time the fastest (every "
        "engine alike): on a shared machine the others' load comes and "
        "goes within a run",
    )
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_splits(Path(args.data), Path(tmp))
        photos = load_folder(Path(tmp) / "icdar2015_val")[: args.photos]
        crops = load_folder(Path(tmp) / "words_val")[: args.crops]
        words = icdar_word_crops(photos, Path(tmp) / "ic15_words")
        results: dict[str, Any] = {
            "photos": len(photos),
            "crops": len(crops),
            "ic15_words": len(words),
        }
        for preset in args.presets:
            results[f"ocrstudio_{preset}"] = {
                **bench_ocrstudio(preset, photos, crops, words, args.repeat),
                "cold_start_s": cold_start(photos[0].image_path, preset),
            }
        for engine in args.peers:
            results[engine] = bench_peer(
                args.peers_python, engine, photos, crops, words, args.repeat
            )
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    _table(results, sys.stdout)


def _table(results: dict[str, Any], out: Any) -> None:
    cols = (
        "det_hmean",
        "det_precision",
        "det_recall",
        "e2e_hmean",
        "spot_hmean",
        "s_per_photo",
        "word_acc",
        "word_acc_cased",
        "cer",
        "crops_per_s",
        "ic15_word_acc",
        "ic15_score_auroc",
        "cold_start_s",
    )
    out.write(f"{'engine':<20}" + "".join(f"{c:>16}" for c in cols) + "\n")
    for name, row in results.items():
        if isinstance(row, dict):
            cells = "".join(f"{row[c]:>16.3f}" if c in row else f"{'-':>16}" for c in cols)
            out.write(f"{name:<20}{cells}\n")


if __name__ == "__main__":
    main()
