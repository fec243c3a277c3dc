"""Word boxes from the recognizer's reading (`OcrPredictor(split_words=...)`): detection
and end-to-end H-mean on the ICDAR 2015 validation photos with each detector's boxes as
detected and cut into words, the shipped recognizer reading both.

    .venv/bin/python benchmarks/bench_words.py [--det det_default det_lines] [--photos N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ocrstudio.core.images import read_image
from ocrstudio.core.metrics import (
    evaluate_detection,
    evaluate_end_to_end,
    evaluate_word_spotting,
)
from ocrstudio.engine.detection.predictor import DetectionPredictor
from ocrstudio.engine.predictor import OcrPredictor
from ocrstudio.engine.recognition.predictor import RecognitionPredictor
from ocrstudio.services.ocr import resolve_model
from ocrstudio.training.api import load_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/: the repo's root
from recipes import default_data, write_splits  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(default_data()))
    ap.add_argument("--det", nargs="+", default=["det_default", "det_lines"])
    ap.add_argument("--photos", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_splits(Path(args.data), Path(tmp))
        pages = load_folder(Path(tmp) / "icdar2015_val")[: args.photos]
        images = [read_image(p.image_path) for p in pages]
    rec = RecognitionPredictor.from_checkpoint(resolve_model(None, "recognizer"), "cpu")
    print(
        f"{'detector':<16}{'boxes':<10}{'P':>7}{'R':>7}{'H':>7}{'e2e':>7}{'spot':>7}{'regions':>9}"
    )
    for name in args.det:
        det = DetectionPredictor.from_checkpoint(resolve_model(name, "detector"), "cpu")
        for split in (False, True):
            ocr = OcrPredictor(det, rec, split_words=split)
            found = [list(ocr.predict(im).regions) for im in images]
            pairs = [(p.labels.regions, f) for p, f in zip(pages, found, strict=True)]
            d, e = evaluate_detection(pairs), evaluate_end_to_end(pairs)
            w = evaluate_word_spotting(pairs)
            print(
                f"{name:<16}{'words' if split else 'detected':<10}{d.precision:>7.3f}"
                f"{d.recall:>7.3f}{d.hmean:>7.3f}{e.hmean:>7.3f}{w.hmean:>7.3f}"
                f"{sum(map(len, found)):>9}",
                flush=True,
            )


if __name__ == "__main__":
    main()
