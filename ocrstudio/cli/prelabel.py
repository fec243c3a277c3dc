"""`ocrstudio prelabel PROJECT [--det MODEL] [--rec MODEL] [--all]`: the GUI's pre-labeling
from the command line. Model-made regions are written with their provenance and scores;
regions a person verified or edited are never overwritten."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prelabel",
        help="propose regions and text for a project's images with its models",
        description="Run the detector and recognizer over the project's images that are not "
        "verified (all images with --all: on verified ones only regions no "
        "person has drawn are added) and store their proposals.",
    )
    p.add_argument("project", metavar="PROJECT", help="a project folder")
    p.add_argument(
        "--det",
        metavar="MODEL",
        help="detector: a model version of the project, a shipped name or a "
        "checkpoint path (default: the project's active detector)",
    )
    p.add_argument("--rec", metavar="MODEL", help="recognizer, as --det")
    p.add_argument(
        "--all",
        action="store_true",
        dest="include_verified",
        help="also verified images: adds only what overlaps no existing region, "
        "and an image that gets a proposal is pre-labeled again (said)",
    )
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument(
        "--preset",
        choices=("accurate", "fast"),
        default="accurate",
        help="fast: int8 networks on ONNX Runtime on a CPU, as `ocrstudio ocr "
        "--preset fast` and the window run them",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the summary as text (default) or one JSON line",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from ocrstudio.cli.project import log_progress
    from ocrstudio.services.ocr import PredictorCache
    from ocrstudio.services.prelabel import PrelabelJob

    job = PrelabelJob(
        Path(args.project),
        args.det,
        args.rec,
        include_verified=args.include_verified,
        device=args.device,
        preset=args.preset,
        predictors=PredictorCache(),
    )
    report = job.run(progress=log_progress("pre-labeling"))
    summary = {
        "images": report.images,
        "regions": report.regions,
        "kept_for_people": report.kept,
        "provenance": report.provenance,
        "left_out": list(report.left_out),
        "reopened": list(report.reopened),
    }
    if args.format == "json":
        print(json.dumps(summary))
    else:
        for line in report.left_out:
            print(f"left out: {line}", file=sys.stderr)
        if report.reopened:
            names = ", ".join(report.reopened[:5]) + (" ..." if len(report.reopened) > 5 else "")
            print(
                f"{len(report.reopened)} verified image(s) got new proposals and are "
                "pre-labeled again (their labels kept; verify them again for "
                f"--verified-only exports and training): {names}"
            )
        print(
            f"pre-labeled {report.images} image(s): {report.regions} region(s) by "
            f"{report.provenance}; {report.kept} proposal(s) left out where a person's "
            f"region is"
        )
    return 0
