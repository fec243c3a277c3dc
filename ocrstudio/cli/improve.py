"""`ocrstudio improve PROJECT [--minutes 10]`: "Improve the models on my labels" from the
command line. Fine-tunes the project's active detector and recognizer on its verified
photos within the time budget (their cards' settings, general data replayed), scores base
and new on the project's test split, and makes a new model active only where it is
better. Prints the before/after table; `--format json` one JSON line."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from ocrstudio.cli.numbers import rate

    p = sub.add_parser(
        "improve",
        help="fine-tune the project's models on its verified "
        "labels, keeping each only where it is better",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("project", metavar="PROJECT", help="a project folder")
    p.add_argument(
        "--minutes",
        type=rate,
        default=10.0,
        help="time budget for the whole run, scoring included (default 10)",
    )
    p.add_argument(
        "--det", metavar="MODEL", help="detector to start from (default: the project's active one)"
    )
    p.add_argument("--rec", metavar="MODEL", help="recognizer to start from, as --det")
    p.add_argument("--only", choices=("detector", "recognizer"), help="fine-tune one role only")
    p.add_argument(
        "--lr", type=rate, help="learning rate for both fine-tunes (default: each card's)"
    )
    p.add_argument(
        "--replay",
        action="append",
        default=[],
        metavar="SPEC",
        help="general labelled data mixed into both fine-tunes so the models "
        "keep what they read outside this project (a labelled folder or "
        "project, SPEC@W weights it; repeatable)",
    )
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument(
        "--preset",
        choices=("accurate", "fast"),
        default="fast",
        help="how base and new models read the test photos (default: fast, "
        "as the window pre-labels)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import json
    from pathlib import Path

    from ocrstudio.cli.project import log_progress
    from ocrstudio.services.improve import ROLE_ORDER, ImproveJob

    roles = (args.only,) if args.only else ROLE_ORDER
    job = ImproveJob(
        Path(args.project),
        args.minutes,
        args.det,
        args.rec,
        {} if args.lr is None else {"lr": args.lr},
        roles,
        args.device,
        args.preset,
        tuple(args.replay),
    )
    report = job.run(progress=log_progress("improving"))
    if args.format == "json":
        print(
            json.dumps(
                {
                    "split": report.split,
                    "before": dataclasses.asdict(report.before),
                    "after": dataclasses.asdict(report.active_scores),
                    "outcomes": [dataclasses.asdict(o) for o in report.outcomes],
                    "seconds": round(report.seconds, 1),
                }
            )
        )
        return 0
    print(
        f"{'':12}{'before':>9}{'after':>9}   ({report.split} split, "
        f"{report.before.images} photos, {report.before.words} words)"
    )
    for name, before, after in report.table():
        print(f"{name:12}{before:9.3f}{after:9.3f}")
    print(report.summary())
    return 0
