"""`ocrstudio bench`: steady-state OCR speed of the chosen models on this machine.

Loads the detector and recognizer once, warms up on the first photo, then times every
photo: detector resize / forward / post-processing, crop + recognition, and the whole
page; prints one JSON line (means in ms, photos/s, crops/s). With no IMAGE it times a few
generated demo photos, so it runs anywhere. The `benchmarks/` scripts compare
architectures and peers; this verb answers "how fast is OCR here, with these models".
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="time OCR (detect + recognize) on this machine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--det", metavar="MODEL", help="detector (default: the shipped one)")
    p.add_argument("--rec", metavar="MODEL", help="recognizer (default: the shipped one)")
    p.add_argument("--preset", choices=("accurate", "fast"), default="accurate")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--repeat", type=int, default=1, help="passes over the photos")
    p.add_argument("--demo", type=int, default=4, help="generated photos when no IMAGE")
    p.add_argument("images", nargs="*", metavar="IMAGE")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import time

    from ocrstudio.core.geometry import crop_polygon
    from ocrstudio.core.images import read_image
    from ocrstudio.services.demo import render_demo_image
    from ocrstudio.services.ocr import load_ocr

    photos = (
        [read_image(p) for p in args.images]
        if args.images
        else [render_demo_image(seed)[0] for seed in range(max(1, args.demo))]
    )
    t0 = time.perf_counter()
    ocr = load_ocr(args.det, args.rec, args.device, args.preset)
    load_s = time.perf_counter() - t0
    ocr.predict(photos[0])  # warm-up: first-call allocations are not steady state
    stages = {"resize_ms": 0.0, "forward_ms": 0.0, "postprocess_ms": 0.0, "recognize_ms": 0.0}
    crops = 0
    start = time.perf_counter()
    for _ in range(max(1, args.repeat)):
        for img in photos:
            found = ocr.det.predict(img)
            for k in ("resize_ms", "forward_ms", "postprocess_ms"):
                stages[k] += ocr.det.timings.get(k, 0.0)
            t = time.perf_counter()
            cut = [crop_polygon(img, r.polygon.as_array(), ocr.crop_margin) for r in found]
            ocr.rec.predict(cut)
            stages["recognize_ms"] += (time.perf_counter() - t) * 1000
            crops += len(cut)
    total = time.perf_counter() - start
    n = len(photos) * max(1, args.repeat)
    out = {k: round(v / n, 1) for k, v in stages.items()}
    out.update(
        photos=n,
        crops=crops,
        ms_per_photo=round(total / n * 1000, 1),
        photos_per_s=round(n / total, 3),
        crops_per_s=round(crops / max(stages["recognize_ms"] / 1000, 1e-9), 1),
        load_s=round(load_s, 2),
        device=str(ocr.det.device),
        size=f"{photos[0].shape[1]}x{photos[0].shape[0]}",
    )
    print(json.dumps(out))
    return 0
