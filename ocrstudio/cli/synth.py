"""`ocrstudio synth`: write a synthetic dataset the importer and `ocrstudio train` read.

words:  DIR/images/K.png + DIR/labels/K.txt (one transcription each; K from 1)
scenes: DIR/images/K.png + DIR/gt/K.txt in the polygon format (curved words keep their
        many-point polygons; `--format icdar2015` writes min-area quads instead)
receipt, form, document, screenshot, pages (the four in turn): rendered pages,
        DIR/images/K.png + DIR/gt/gt_K.txt in the ICDAR 2015 format (`--format polygon`
        keeps a curled receipt's many-point polygons); image K is page seed S+K-1 (the
        page `render_page(kind, S+K-1)` gives, without --backgrounds; seeds from
        1,000,000 up are never drawn in training); `--level lines` labels printed lines
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocrstudio.core.types import PageLabels

# what one rendered image gives: its index, its file name, its text (a word) or labels
Rendered = tuple[int, str, "str | PageLabels"]
PAGE_CHOICES = ("pages", "receipt", "form", "document", "screenshot")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="make synthetic word crops or scenes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kind", choices=("words", "scenes", *PAGE_CHOICES), required=True)
    p.add_argument("--count", type=int, required=True, metavar="N")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument(
        "--format",
        choices=("polygon", "icdar2015"),
        default=None,
        help="label format of scenes and pages (default: polygon for scenes, icdar2015 for pages)",
    )
    p.add_argument(
        "--level",
        choices=("words", "lines"),
        default="words",
        help="pages: a region per word or per printed line",
    )
    p.add_argument(
        "--backgrounds",
        metavar="DIR",
        help="photos without text to crop backgrounds from (optional)",
    )
    p.add_argument("--workers", type=int, default=1, help="processes rendering in parallel")
    p.set_defaults(handler=run)


def _render_chunk(
    kind: str, seed: int, backgrounds: str | None, indices: list[int], out: str,
    level: str = "words",
) -> list[Rendered]:  # fmt: skip
    """Render and save images `indices`; returns (index, text or labels) per image."""
    from pathlib import Path

    import cv2

    from ocrstudio.training.synth import (
        SceneSynth,
        SceneSynthConfig,
        WordSample,
        WordSynth,
        WordSynthConfig,
    )

    images = Path(out) / "images"
    results: list[Rendered] = []
    synth: WordSynth | SceneSynth | _Pages
    if kind == "words":
        synth = WordSynth(WordSynthConfig(background_dir=backgrounds), seed=seed)
    elif kind in PAGE_CHOICES:
        synth = _Pages(kind, seed, backgrounds, level)
    else:
        synth = SceneSynth(SceneSynthConfig(background_dir=backgrounds), seed=seed)
    for i in indices:
        s = synth[i]
        name = f"{i + 1}.png"
        if not cv2.imwrite(str(images / name), s.image[..., ::-1]):  # full disk, no rights
            from ocrstudio.core.errors import InputError

            (images / name).unlink(missing_ok=True)  # no empty or cut PNG left behind
            raise InputError(
                "could not write the image (disk full or not writable); "
                f"{len(results)} of this batch written",
                images / name,
            )
        results.append((i, name, s.text if isinstance(s, WordSample) else s.labels))
    return results


class _Pages:
    """Rendered pages by image index: page seed `seed + i`, the kind itself or, for
    `pages`, the four kinds in turn."""

    def __init__(self, kind: str, seed: int, backgrounds: str | None, level: str) -> None:
        from ocrstudio.training.synth.pages import PAGE_KINDS, PageSynth, PageSynthConfig

        self.kinds = PAGE_KINDS if kind == "pages" else (kind,)
        config = PageSynthConfig(background_dir=backgrounds, level=level)  # type: ignore[arg-type]
        self.synth, self.seed = PageSynth(config), seed

    def __getitem__(self, i: int) -> Any:
        return self.synth.page(self.kinds[i % len(self.kinds)], self.seed + i)[0]


def run(args: argparse.Namespace) -> int:
    import sys
    import time
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace
    from pathlib import Path

    from ocrstudio.core.errors import InputError

    if args.count < 1:
        raise InputError("--count must be at least 1")
    out = Path(args.out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    chunks = [list(range(k, min(k + 64, args.count))) for k in range(0, args.count, 64)]
    t0 = time.perf_counter()
    done: list[Rendered] = []
    job = (args.kind, args.seed, args.backgrounds)
    level = getattr(args, "level", "words")
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            for part in pool.map(
                _render_chunk,
                *zip(*[(*job, c, str(out), level) for c in chunks], strict=True),
            ):
                done.extend(part)
    else:
        for c in chunks:
            done.extend(_render_chunk(*job, c, str(out), level))
    seconds = time.perf_counter() - t0
    done.sort(key=lambda r: r[0])
    if args.kind == "words":
        (out / "labels").mkdir(exist_ok=True)
        for i, _, text in done:
            (out / "labels" / f"{i + 1}.txt").write_text(f"{text}\n", encoding="utf-8")
    else:
        from ocrstudio.core.types import PageLabels
        from ocrstudio.formats import write_labels

        pages = [
            replace(labels, image=name)
            for _, name, labels in done
            if isinstance(labels, PageLabels)
        ]  # scenes: every one
        fmt = args.format or ("icdar2015" if args.kind in PAGE_CHOICES else "polygon")
        write_labels(fmt, pages, out / "gt")
    print(
        f"{args.count} {args.kind} in {seconds:.1f} s ({args.count / seconds:.1f} images/s) "
        f"-> {out}",
        file=sys.stderr,
    )
    return 0
