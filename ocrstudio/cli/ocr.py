"""`ocrstudio ocr` (detect + recognize whole images) and `ocrstudio recognize` (word crops).

MODEL: a checkpoint (a folder holding model.safetensors, or the file) or the name of a
model shipped with ocrstudio. `--format jsonl` prints one JSON object per input, in input
order, and nothing else on stdout:
  ocr:       {"image": ..., "width": W, "height": H, "regions": [{"points": [[x, y], ...],
              "text": ..., "score": s, "det_score": d}, ...]}   (regions in reading order)
  recognize: {"image": ..., "text": ..., "score": s}
An input that cannot be read gets an error line on stderr naming it, the others still
run, and the exit code is 1. So does an image over the pixel limit (100 million pixels,
refused from its header before anything is decoded; the environment variable
OCRSTUDIO_MAX_PIXELS sets another limit).
"""

from __future__ import annotations

import argparse

_FORMATS = ("jsonl", "text")


def register(sub: argparse._SubParsersAction) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "ocr",
        help="read the text of photos (detect + recognize)",
        description=__doc__,
        formatter_class=fmt,
    )
    p.add_argument("--det", metavar="MODEL", help="detector (default: the shipped one)")
    p.add_argument("--rec", metavar="MODEL", help="recognizer (default: the shipped one)")
    p.add_argument(
        "--boxes",
        choices=("words", "lines"),
        help="words: a region read as several words becomes one per word; "
        "lines: the detector's regions as they are (default: the "
        "detector card's choice, words for the shipped default)",
    )
    p.add_argument(
        "--keep-all",
        action="store_true",
        help="keep every region the detector finds; by default a detector "
        "whose card says so (the shipped one) hands over the words it is "
        "unsure of too, and only those the recognizer reads surely stay",
    )
    _common(p)
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.set_defaults(handler=run_ocr)
    r = sub.add_parser(
        "recognize", help="read word crops", description=__doc__, formatter_class=fmt
    )
    r.add_argument("--rec", metavar="MODEL", help="recognizer (default: the shipped one)")
    _common(r)
    r.add_argument("images", nargs="+", metavar="CROP")
    r.set_defaults(handler=run_recognize)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--format", choices=_FORMATS, default="jsonl")
    p.add_argument(
        "--preset",
        choices=("accurate", "fast"),
        default="accurate",
        help="accurate: the detector at its own input size (1280 for the "
        "shipped one); fast: at 960 pixels; on a CPU, networks whose zoo "
        "entry allows it run as int8 on ONNX Runtime (built on first use, "
        "then cached in ~/.cache/ocrstudio; the shipped PP-OCRv6 pair stays "
        "fp32)",
    )


def run_ocr(args: argparse.Namespace) -> int:
    import json
    import sys

    from ocrstudio.services.ocr import Failure, page_json, page_lines
    from ocrstudio.services.ocr import run_ocr as ocr

    failed = 0
    many = len(args.images) > 1
    for item in ocr(
        args.images,
        args.det,
        args.rec,
        args.device,
        args.preset,
        boxes=args.boxes,
        verify=not args.keep_all,
    ):
        if isinstance(item, Failure):
            failed += 1
            print(f"ocrstudio: error: {item.error}", file=sys.stderr)
        elif args.format == "jsonl":
            print(json.dumps(page_json(item), ensure_ascii=False), flush=True)
        else:
            if many:
                print(f"==> {item.image} <==")
            for line in page_lines(item):
                print(line)
    return 1 if failed else 0


def run_recognize(args: argparse.Namespace) -> int:
    import json
    import sys

    from ocrstudio.services.ocr import Failure
    from ocrstudio.services.ocr import run_recognize as recognize

    failed = 0
    for item in recognize(args.images, args.rec, args.device, args.preset):
        if isinstance(item, Failure):
            failed += 1
            print(f"ocrstudio: error: {item.error}", file=sys.stderr)
        elif args.format == "jsonl":
            print(json.dumps(item, ensure_ascii=False), flush=True)
        else:
            print(item["text"])
    return 1 if failed else 0
