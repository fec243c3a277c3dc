"""The label -> improve -> pre-label loop, measured on a domain the shipped models never
trained on: the licence-plate photos in ../shared/data/plates_br (or FUNSD's forms).

For each loop: N photos (a fixed seeded draw) are imported into a new project as verified
labels, the rest stay unseen. The unseen photos are read with the project's active models
before and after one `ImproveJob` (the "Improve the models on my labels" action) of at
most `--minutes`, and the ICDAR 2015 validation photos with them too (nothing forgotten).

Figures per loop (unseen photos, read as the window pre-labels, `--preset fast`):
- plates read right: one region reads the whole plate (letters and digits, case and
  separators ignored) with its centre inside the plate's box (plates only);
- end-to-end H-mean: IoU 0.5 with a labelled box, text exact up to case (ICDAR 2015's
  rule); for forms, words found (bag-of-words F1 of the page's words) too;
- the improve run's own table on the project's test split, and which models it kept.

    python benchmarks/bench_improve.py --loop plates:80 --loop plates:20 --minutes 10 \\
        --json runs/bench_improve.json
    python benchmarks/bench_improve.py --loop plates:80 --lr 0.1   # a bad run: nothing kept

Each loop takes its budget plus a few minutes of scoring on this 2-core CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ocrstudio.core.errors import OcrStudioError
from ocrstudio.core.metrics import evaluate_end_to_end, hmean
from ocrstudio.core.types import Region
from ocrstudio.training.api import load_folder

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def plate_read_right(gt: Region, found: list[Region]) -> bool:
    """One region reads the whole plate (letters and digits) with its centre in the box."""
    want = _alnum(gt.text)
    box = gt.polygon.as_array()
    x0, y0 = box.min(0)
    x1, y1 = box.max(0)
    for r in found:
        cx, cy = r.polygon.as_array().mean(0)
        if x0 <= cx <= x1 and y0 <= cy <= y1 and _alnum(r.text) == want:
            return True
    return False


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def words_found(gt: list[Region], found: list[Region]) -> tuple[int, int, int]:
    """(common, gt words, found words) of the page's bags of words (case kept)."""
    g = Counter(w for r in gt if not r.ignore for w in r.text.split())
    f = Counter(w for r in found for w in r.text.split())
    return sum((g & f).values()), sum(g.values()), sum(f.values())


def read_pages(
    project: Path,
    pages: list[Any],
    own: bool = True,
    roles: tuple[str, ...] = ("detector", "recognizer"),
) -> list[list[Region]]:
    """What the project's active models find on each page, as the window pre-labels
    (`fast`); `own`: the project's own photos, so its conventions (keep filter, text
    rules) apply (not to photos from elsewhere: the models alone read those). Roles left
    out of `roles` are read with the shipped default instead of the project's active
    model."""
    from ocrstudio.core.images import read_image
    from ocrstudio.services.model_choice import active_models, conventions_of
    from ocrstudio.services.ocr import build_ocr, resolve_model
    from ocrstudio.services.project import open_project
    from ocrstudio.services.scoring import conventional

    with open_project(project) as handle:
        active = active_models(handle)
        conventions = conventions_of(handle) if own else None
    det_path, rec_path = (
        active[r].weights if r in roles else resolve_model(None, r)
        for r in ("detector", "recognizer")
    )
    ocr = build_ocr(det_path, rec_path, "cpu", "fast")
    out = []
    for p in pages:
        image = read_image(p.image_path)
        found = list(ocr.predict(image).regions)
        out.append(
            found
            if conventions is None
            else conventional(
                found,
                (image.shape[1], image.shape[0]),
                conventions.active,
                conventions.active_rules,
                conventions.active_boxes,
            )
        )
    return out


def score(pages: list[Any], found: list[list[Region]], plates: bool) -> dict[str, float]:
    pairs = [(p.labels.regions, f) for p, f in zip(pages, found, strict=True)]
    e2e = evaluate_end_to_end(pairs)
    out = {
        "e2e_hmean": e2e.hmean,
        "e2e_precision": e2e.precision,
        "e2e_recall": e2e.recall,
        "photos": len(pages),
    }
    if plates:
        right = [
            plate_read_right(p.labels.regions[0], f) for p, f in zip(pages, found, strict=True)
        ]
        out["plates_read_right"] = float(np.mean(right))
        out["misread"] = [
            f"{p.labels.regions[0].text}: {' | '.join(r.text for r in x)}"
            for p, x, ok in zip(pages, found, right, strict=True)
            if not ok
        ]
    common, g, f = map(
        sum,
        zip(
            *(words_found(p.labels.regions, x) for p, x in zip(pages, found, strict=True)),
            strict=True,
        ),
    )
    out["words_found"] = hmean(common / max(f, 1), common / max(g, 1))
    return out


def split_photos(kind: str, labelled: int, seed: int = 0) -> tuple[list[Any], list[Any]]:
    folder = {"plates": DATA / "plates_br", "funsd": DATA / "funsd_train"}[kind]
    pages = sorted(load_folder(folder), key=lambda p: p.image_path.name)
    order = np.random.default_rng(seed).permutation(len(pages))
    if kind == "funsd":  # 100 of the forms: `labelled` of them labelled, the rest unseen
        order = order[:100]
    chosen = [pages[i] for i in order]
    return chosen[:labelled], chosen[labelled:]


def make_project(root: Path, pages: list[Any], kind: str) -> Path:
    """A project of `pages` imported as verified labels (ICDAR 2015 files written here)."""
    from ocrstudio.formats import write_labels
    from ocrstudio.services.transfer import import_into

    images, gt = root / "images", root / "gt"
    images.mkdir(parents=True)
    for p in pages:
        (images / p.image_path.name).symlink_to(p.image_path.resolve())
    write_labels(
        "icdar2015", [dataclasses.replace(p.labels, image=p.image_path.name) for p in pages], gt
    )
    project = root / "project"
    import_into(project, "icdar2015", images, gt)
    return project


def run_loop(
    spec: str,
    minutes: float,
    fit: dict[str, Any],
    ic15: list[Any],
    replay: tuple[str, ...] = (),
    keep: Path | None = None,
) -> dict[str, Any]:
    from ocrstudio.services.improve import ImproveJob

    kind, n = spec.split(":")
    labelled, unseen = split_photos(kind, int(n))
    plates = kind == "plates"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) if keep is None else keep / spec.replace(":", "_")
        project = make_project(root, labelled, kind)
        before = score(unseen, read_pages(project, unseen), plates)
        ic15_before = score(ic15, read_pages(project, ic15, own=False), False) if ic15 else None
        _log(f"{spec} before: {before}")
        t0 = time.monotonic()
        failed = None
        try:
            report = ImproveJob(project, minutes, fit=fit, device="cpu", replay=replay).run(
                lambda p: _log(p.text()) if p.done % 30 == 0 else None
            )
        except OcrStudioError as exc:  # a fine-tune that diverged: the run leaves nothing
            report, failed = None, str(exc)
        seconds = time.monotonic() - t0
        after = score(unseen, read_pages(project, unseen), plates)
        active = active_names(project)  # while the project is there
        without = score(unseen, read_pages(project, unseen, own=False), plates)
        ic15_after, ic15_roles = None, {}
        if ic15:
            ic15_after = score(ic15, read_pages(project, ic15, own=False), False)
            ic15_roles = {
                f"new {r} only": score(ic15, read_pages(project, ic15, False, (r,)), False)
                for r in ("detector", "recognizer")
            }
    _log(f"{spec} after: {after}\n{report.summary() if report else 'failed: ' + str(failed)}")
    return {
        "loop": spec,
        "labelled": len(labelled),
        "unseen": len(unseen),
        "before": before,
        "after": after,
        "ic15_val_before": ic15_before,
        "ic15_val_after": ic15_after,
        "ic15_val_after_by_role": ic15_roles,
        "after_without_keep_filter": without,
        "improve_seconds": round(seconds, 1),
        "failed": failed,
        "active_after": active,
        **(_report_json(report) if report is not None else {}),
    }


def active_names(project: Path) -> dict[str, str]:
    from ocrstudio.services.model_choice import active_models
    from ocrstudio.services.project import open_project

    with open_project(project) as handle:
        return {r: c.name for r, c in active_models(handle).items() if c}


def _report_json(report: Any) -> dict[str, Any]:
    return {
        "project_table": {
            "split": report.split,
            "rows": report.table(),
            "images": report.before.images,
        },
        "outcomes": [
            {"role": o.role, "new": o.new, "activated": o.activated, "why": o.why}
            for o in report.outcomes
        ],
        "keep_filter": report.keep.why if report.keep else None,
        "skipped": list(report.skipped),
    }


def _log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--loop",
        action="append",
        default=[],
        metavar="KIND:N",
        help="plates:80, plates:20 or funsd:51 (N photos labelled)",
    )
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--lr", type=float, help="one rate for both fine-tunes (a bad run)")
    ap.add_argument(
        "--ic15",
        type=int,
        default=100,
        help="ICDAR 2015 validation photos read before and after (0: skip)",
    )
    ap.add_argument(
        "--replay",
        type=float,
        default=0.0,
        metavar="W",
        help="mix the ICDAR 2015 training photos (the shipped models' own data, "
        "validation photos left out) into both fine-tunes at weight W",
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--keep",
        type=Path,
        help="keep each loop's project (and its new models) under this folder, for a later look",
    )
    a = ap.parse_args()
    ic15 = []
    if a.ic15:
        ic15 = [
            p
            for p in sorted(load_folder(DATA / "icdar2015_train"), key=lambda p: p.image_path.name)
            if int(p.image_path.stem.split("_")[1]) % 10 == 0
        ][: a.ic15]
    fit = {} if a.lr is None else {"lr": a.lr}
    with tempfile.TemporaryDirectory() as tmp:
        replay: tuple[str, ...] = ()
        if a.replay:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/
            from recipes import write_icdar_splits

            write_icdar_splits(DATA, Path(tmp))
            replay = (f"{Path(tmp) / 'icdar2015_train'}@{a.replay:g}",)
        results = []
        for spec in a.loop or ["plates:80"]:  # each loop's figures saved as it ends
            results.append(run_loop(spec, a.minutes, fit, ic15, replay, a.keep))
            if a.json:
                a.json.parent.mkdir(parents=True, exist_ok=True)
                a.json.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
