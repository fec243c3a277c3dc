"""`ocrstudio synth`: write a synthetic dataset the importer and `ocrstudio train` read.

words:  DIR/images/K.png + DIR/labels/K.txt (one transcription each; K from 1)
scenes: DIR/images/K.png + DIR/gt/K.txt in the polygon format (curved words keep their
        many-point polygons; `--format icdar2015` writes min-area quads instead)
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocrstudio.core.types import PageLabels

# what one rendered image gives: its index, its file name, its text (a word) or labels
Rendered = tuple[int, str, "str | PageLabels"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="make synthetic word crops or scenes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kind", choices=("words", "scenes"), required=True)
    p.add_argument("--count", type=int, required=True, metavar="N")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument(
        "--format",
        choices=("polygon", "icdar2015"),
        default="polygon",
        help="label format of scenes (default: polygon)",
    )
    p.add_argument(
        "--backgrounds",
        metavar="DIR",
        help="photos without text to crop backgrounds from (optional)",
    )
    p.add_argument("--workers", type=int, default=1, help="processes rendering in parallel")
    p.set_defaults(handler=run)


def _render_chunk(
    kind: str, seed: int, backgrounds: str | None, indices: list[int], out: str
) -> list[Rendered]:
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
    synth: WordSynth | SceneSynth
    if kind == "words":
        synth = WordSynth(WordSynthConfig(background_dir=backgrounds), seed=seed)
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
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            for part in pool.map(
                _render_chunk, *zip(*[(*job, c, str(out)) for c in chunks], strict=True)
            ):
                done.extend(part)
    else:
        for c in chunks:
            done.extend(_render_chunk(*job, c, str(out)))
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
        write_labels(args.format, pages, out / "gt")
    print(
        f"{args.count} {args.kind} in {seconds:.1f} s ({args.count / seconds:.1f} images/s) "
        f"-> {out}",
        file=sys.stderr,
    )
    return 0
