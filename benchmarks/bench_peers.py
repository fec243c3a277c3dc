"""ocrstudio's shipped models (presets `accurate` and `fast`) against RapidOCR 3.10
(PP-OCRv6 small, ONNX Runtime, word boxes), RapidOCR 1.4 and Tesseract when installed, in one
run, on every kind of page there is (`peer_kinds.KINDS`, chosen with `--kinds`):

- `icdar15`: the ICDAR 2015 validation photos of `recipes` (img_N with N % 10 == 0);
- `funsd`: the FUNSD held-out forms (every fifth page in name order, 30);
- `receipts`, `screenshots`, `documents` (250 to 350 words a page), `forms` (not by
  default): pages rendered by `ocrstudio.training.synth.pages` with held-out seeds
  (skipped, with a message, where that module or kind is missing).

For each kind and engine (`peer_kinds.kind_scores`): words found (bag-of-words F1 and
recall of the page's words, case kept), CER of the page text (ground truth and found
regions each laid out in reading order by `core.lines.layout_lines`, runs of spaces made
one; edit distance over the ground truth's length), detection P/R/H-mean and end-to-end
H-mean (the ICDAR 2015 rules), and seconds per page from the file in steady state (models
loaded, first page not timed; with `--repeat N` each page's fastest of N reads, for every
engine). A table per kind, and the dense-page timing against #26's goal (`fast` within
RapidOCR 3.10's time, `accurate` within twice it). Besides, as before:

- crops (IIIT5K/SVT validation crops, K % 10 == 0, and the ICDAR photos' legible words):
  word accuracy (36-character protocol), cased accuracy, CER, crops per second;
- cold start of `ocrstudio ocr` (process start to first result, one photo).

The peers run in their own virtual environment (`--peers-python`, default
`.venv-peers/bin/python`, made by `make peers`: RapidOCR pulls opencv-python, whose Qt
plugins clash with PySide6) as one subprocess per engine and task, which loads the engine
once, reads every image and prints JSON lines. Tesseract runs through pytesseract (word
boxes from `image_to_data`; crops with `--psm 7`, one text line). A peer that is not
installed is skipped with a message.

    .venv/bin/python benchmarks/bench_peers.py [--kinds icdar15,funsd,receipts,screenshots]
        [--photos N] [--crops N] [--json out.json]
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
from typing import Any, get_args

import numpy as np

from ocrstudio.core.images import read_image
from ocrstudio.core.metrics import evaluate_recognition, normalize_36
from ocrstudio.core.metrics import score_auroc as read_right_auroc
from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.spec import Preset
from ocrstudio.training.api import load_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/: the repo's root
from benchmarks.peer_kinds import (  # noqa: E402
    KINDS,
    add_ratios,
    kind_scores,
    kind_tables,
    load_kinds,
    peer_missing,
    timing_table,
    words_per_page,
)
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
    python: str,
    engine: str,
    kinds: dict[str, list[Any]],
    crop_sets: dict[str, list[Any]],
    repeat: int = 1,
) -> dict[str, Any]:
    """{"kinds": {kind: figures}, "crops": figures} of one peer."""
    per_kind = {}
    for kind, pages in kinds.items():
        rows = run_peer(python, engine, "photos", pages, repeat)
        per_kind[kind] = kind_scores(
            [p.labels.regions for p in pages],
            [_regions(r["regions"]) for r in rows],
            [r["seconds"] for r in rows],
        )
    crops: dict[str, float] = {}
    for prefix, pages in crop_sets.items():
        rows = run_peer(python, engine, "crops", pages)
        texts = [r["regions"][0][1] for r in rows]
        # the first crop pays for lazy set-up; leave it out like the first photo
        seconds = sum(r["seconds"] for r in rows[1:]) * len(rows) / max(1, len(rows) - 1)
        crops.update({prefix + k: v for k, v in crop_scores(pages, texts, seconds).items()})
    return {"kinds": per_kind, "crops": crops}


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
    preset: Preset, kinds: dict[str, list[Any]], crop_sets: dict[str, list[Any]], repeat: int = 1
) -> dict[str, Any]:
    """{"kinds": {kind: figures}, "crops": figures} of one preset, its models loaded once."""
    from ocrstudio.services.ocr import load_ocr, resolve_model

    ocr = load_ocr(None, None, "cpu", preset)  # fast: the int8 detector (built if missing)
    per_kind = {}
    for kind, pages in kinds.items():
        found, seconds = [], []
        for p in pages:
            best = float("inf")
            for _ in range(repeat):  # from the file, as the peers are timed
                t0 = time.perf_counter()
                page = ocr.predict(read_image(p.image_path))
                best = min(best, time.perf_counter() - t0)
            seconds.append(best)
            found.append(list(page.regions))
        per_kind[kind] = kind_scores([p.labels.regions for p in pages], found, seconds)
    crops: dict[str, Any] = {}
    for prefix, pages in crop_sets.items():
        images = [read_image(p.image_path) for p in pages]
        ocr.rec.predict(images[:8])  # warm-up
        t0 = time.perf_counter()
        results = ocr.rec.predict(images)
        texts = [r.text for r in results]
        took = time.perf_counter() - t0
        crops.update({prefix + k: v for k, v in crop_scores(pages, texts, took).items()})
        crops[prefix + "score_auroc"] = score_auroc(pages, results)
    crops["models"] = (
        f"{resolve_model(None, 'detector', preset).name} + "
        f"{resolve_model(None, 'recognizer', preset).name}"
    )
    return {"kinds": per_kind, "crops": crops}


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


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(default_data()))
    ap.add_argument(
        "--kinds",
        default="icdar15,funsd,receipts,screenshots,documents",
        help=f"comma-separated, of {', '.join(KINDS)}",
    )
    ap.add_argument("--photos", type=int, default=100, help="pages per kind (ICDAR max 100)")
    ap.add_argument("--rendered", type=int, default=30, help="pages per rendered kind")
    ap.add_argument("--dense", type=int, default=10, help="pages of the documents kind")
    ap.add_argument("--crops", type=int, default=225, help="validation crops (max 225; 0: none)")
    ap.add_argument("--peers-python", default=str(REPO / ".venv-peers" / "bin" / "python"))
    ap.add_argument("--presets", nargs="+", default=["accurate", "fast"], choices=get_args(Preset))
    ap.add_argument(
        "--peers",
        nargs="*",
        default=["rapidocr3", "tesseract"],
        help="rapidocr3: RapidOCR 3.10 (PP-OCRv6 small, word boxes); rapidocr: "
        "RapidOCR 1.4 (PP-OCRv4 mobile, rapidocr_onnxruntime); tesseract",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="read each page this many times and time the fastest (every "
        "engine alike): on a shared machine the others' load comes and "
        "goes within a run",
    )
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(args.kinds) - set(KINDS)
    if unknown:
        ap.error(f"unknown kinds {sorted(unknown)}: choose of {', '.join(KINDS)}")
    return args


def main() -> None:
    args = _args()
    with tempfile.TemporaryDirectory() as tmp:
        write_splits(Path(args.data), Path(tmp))
        kinds, skipped = load_kinds(
            args.kinds, Path(tmp), Path(tmp) / "rendered", args.photos, args.rendered, args.dense
        )
        crop_sets: dict[str, list[Any]] = {}
        if args.crops and "icdar15" in kinds:
            crop_sets[""] = load_folder(Path(tmp) / "words_val")[: args.crops]
            crop_sets["ic15_"] = icdar_word_crops(kinds["icdar15"], Path(tmp) / "ic15_words")
        engines: dict[str, dict[str, Any]] = {}
        for preset in args.presets:
            engines[f"ocrstudio_{preset}"] = bench_ocrstudio(preset, kinds, crop_sets, args.repeat)
            first = next(iter(kinds.values()))[0].image_path
            engines[f"ocrstudio_{preset}"]["crops"]["cold_start_s"] = cold_start(first, preset)
        for engine in args.peers:
            why = peer_missing(args.peers_python, engine)
            if why:
                skipped.append(why)
                continue
            engines[engine] = bench_peer(args.peers_python, engine, kinds, crop_sets, args.repeat)
    results = {"argv": sys.argv[1:], **_gather(kinds, crop_sets, engines, skipped)}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    for why in skipped:
        print(f"skipped {why}")
    kind_tables(results, sys.stdout)
    timing_table(results, sys.stdout)
    _crop_table(results, sys.stdout)


def _gather(
    kinds: dict[str, list[Any]],
    crop_sets: dict[str, list[Any]],
    engines: dict[str, dict[str, Any]],
    skipped: list[str],
) -> dict[str, Any]:
    """The run's figures by kind, then by engine; the crops' figures by engine."""
    results: dict[str, Any] = {
        "skipped": skipped,
        "crop_counts": {k or "crops": len(v) for k, v in crop_sets.items()},
        "kinds": {
            kind: {
                "pages": len(pages),
                "gt_words_per_page": words_per_page(pages),
                "engines": {e: r["kinds"][kind] for e, r in engines.items()},
            }
            for kind, pages in kinds.items()
        },
        "crops": {e: r["crops"] for e, r in engines.items() if r["crops"]},
    }
    add_ratios(results)
    return results


def _crop_table(results: dict[str, Any], out: Any) -> None:
    cols = (
        "word_acc",
        "word_acc_cased",
        "cer",
        "crops_per_s",
        "ic15_word_acc",
        "ic15_score_auroc",
        "cold_start_s",
    )
    if not results["crops"]:
        return
    out.write(f"\ncrops {results['crop_counts']} and cold start\n")
    out.write(f"{'engine':<20}" + "".join(f"{c:>17}" for c in cols) + "\n")
    for name, row in results["crops"].items():
        cells = "".join(f"{row[c]:>17.3f}" if c in row else f"{'-':>17}" for c in cols)
        out.write(f"{name:<20}{cells}\n")


if __name__ == "__main__":
    main()
