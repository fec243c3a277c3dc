"""`ocrstudio import` and `ocrstudio export`: annotation files in and out of a project."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser(
        "import",
        help="add images and their labels to a project (created when missing)",
        description="Add the images under DIR and the labels of PATH to PROJECT, all or "
        "nothing. Labels count as verified human labels unless --prelabels.",
    )
    imp.add_argument("project", metavar="PROJECT")
    imp.add_argument(
        "--format",
        required=True,
        metavar="FORMAT",
        help="annotation format (icdar2015, icdar2013, polygon, paddleocr, "
        "ppocrlabel, labelme, mmocr, words)",
    )
    imp.add_argument("--images", required=True, metavar="DIR", help="folder of the images")
    imp.add_argument(
        "--labels", metavar="PATH", help="label file or folder (default: the image folder)"
    )
    imp.add_argument(
        "--prelabels",
        action="store_true",
        help="import as unverified pre-labels, never over verified work",
    )
    imp.add_argument(
        "--allow-outside",
        action="store_true",
        help="accept image paths in the label files that lead outside DIR "
        "(refused by default: a label file from elsewhere could name "
        "any file on this machine)",
    )
    imp.set_defaults(handler=_import)

    exp = sub.add_parser("export", help="write a project's labels in an annotation format")
    exp.add_argument("project", metavar="PROJECT")
    exp.add_argument(
        "--format",
        required=True,
        metavar="FORMAT",
        help="icdar2015, icdar2013, polygon, paddleocr, ppocrlabel (a folder "
        "PPOCRLabel opens: photos copied beside Label.txt and "
        "fileState.txt), labelme, mmocr, words, crops",
    )
    exp.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    exp.add_argument("--split", choices=("train", "val", "test", "all"), default="all")
    exp.add_argument(
        "--verified-only", action="store_true", help="only images a person marked verified"
    )
    exp.add_argument(
        "--accepted-only",
        action="store_true",
        help="only images a team's reviewer accepted (see `ocrstudio team`)",
    )
    exp.set_defaults(handler=_export)


def _import(args: argparse.Namespace) -> int:
    import time

    from ocrstudio.cli.project import log_progress
    from ocrstudio.services.transfer import import_into

    t0 = time.perf_counter()
    r = import_into(
        args.project,
        args.format,
        args.images,
        args.labels,
        prelabels=args.prelabels,
        allow_outside=args.allow_outside,
        progress=log_progress("import"),
    )
    kind = "pre-labels" if args.prelabels else "verified labels"
    print(
        f"imported {r.images_labelled} labelled images ({r.images_added} new images), "
        f"{r.regions} regions as {kind} in {time.perf_counter() - t0:.1f} s"
        + (f"; {len(r.skipped)} images kept their verified labels" if r.skipped else "")
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    import time

    from ocrstudio.services.project import opened
    from ocrstudio.services.transfer import export_labels

    t0 = time.perf_counter()
    with opened(args.project, read_only=True) as h:
        r = export_labels(
            h,
            args.format,
            args.out,
            split=args.split,
            verified_only=args.verified_only,
            accepted_only=args.accepted_only,
        )
    notes = [*r.notes(), *([f"{len(r.skipped)} skipped"] if r.skipped else [])]
    extra = "".join(f"; {n}" for n in notes)
    print(
        f"exported {r.images} images, {r.regions} regions to {r.out} "
        f"in {time.perf_counter() - t0:.1f} s{extra}"
    )
    return 0
