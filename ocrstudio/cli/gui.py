"""`ocrstudio gui [PROJECT] [--screenshot OUT.png]`: open the annotation window."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gui",
        help="open the annotation window (the default verb)",
        description="Open the annotation window, on PROJECT if given, else on the start page.",
    )
    p.add_argument("project", nargs="?", help="a project folder (holds project.db)")
    p.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="render the window with the first image and its regions into a PNG "
        "and exit (works without a display: QT_QPA_PLATFORM=offscreen)",
    )
    p.add_argument(
        "--quick-ocr",
        metavar="PHOTO",
        help="read PHOTO with the shipped models (quick OCR, no project needed)",
    )
    p.add_argument(
        "--size",
        default="1400x860",
        metavar="WxH",
        help="window size for --screenshot (default 1400x860)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from ocrstudio.core.errors import InputError

    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise InputError(f"--size must look like 1400x860, got {args.size!r}") from None
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ocrstudio.ui.syslibs import check

    missing = check()  # before Qt, whose own message names the wrong library
    if missing:
        print(f"ocrstudio: error: {missing}", file=sys.stderr)
        return 1
    from ocrstudio.ui.app import run as run_gui

    project = Path(args.project) if args.project else None
    shot = Path(args.screenshot) if args.screenshot else None
    quick = Path(args.quick_ocr) if args.quick_ocr else None
    return run_gui(project, shot, (w, h), quick)
