"""Project store timings: import and export of ICDAR 2015 train (1000 images), and opening
and listing a project of 10,000 images.

    .venv/bin/python benchmarks/bench_store.py [--data ../shared/data] [--images 10000]

Prints one line per measurement and a JSON summary on the last line. Wall-clock seconds,
best of `--repeat` runs; the machine's load is printed too, since it moves the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services.project import create_project, open_project, project_info
from ocrstudio.services.transfer import export_labels, import_labels

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


CPU: dict[str, float] = {}  # CPU seconds of this process per figure: steadier than wall
# time on a shared machine (subprocesses not counted)


def best_of(repeat: int, fn: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    """Best wall-clock time of `repeat` runs (and its CPU time, kept in CPU[name])."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if wall < best:
            best, CPU[name] = wall, cpu
    return best, result


def bench_icdar(data: Path, work: Path, repeat: int) -> dict[str, Any]:
    src = data / "icdar2015_train"

    def do_import() -> Any:
        shutil.rmtree(work / "icdar", ignore_errors=True)
        with create_project(work / "icdar") as h:
            return import_labels(h, "icdar2015", src / "images", src / "gt")

    t_import, rep = best_of(repeat, do_import, "import")
    print(
        f"import icdar2015_train: {rep.images_added} images, {rep.regions} regions "
        f"in {t_import:.2f} s (cpu {CPU['import']:.2f} s)"
    )

    def do_export() -> Any:
        shutil.rmtree(work / "out", ignore_errors=True)
        with open_project(work / "icdar") as h:
            return export_labels(h, "icdar2015", work / "out")

    t_export, out = best_of(repeat, do_export, "export")
    print(
        f"export icdar2015: {out.images} images, {out.regions} regions in {t_export:.2f} s "
        f"(cpu {CPU['export']:.2f} s)"
    )
    scores = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ocrstudio",
                "eval",
                "det",
                "--gt",
                str(src / "gt"),
                "--pred",
                str(work / "out"),
                "--format",
                "icdar2015",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    print(f"eval det (export vs original): {scores}")
    return {
        "import_s": round(t_import, 3),
        "export_s": round(t_export, 3),
        "import_cpu_s": round(CPU["import"], 3),
        "export_cpu_s": round(CPU["export"], 3),
        "images": rep.images_added,
        "regions": rep.regions,
        "eval_hmean": json.loads(scores)["hmean"],
    }


def fill_project(folder: Path, n_images: int, per_image: int) -> None:
    """A project of generated rows (no image files): what opening and listing read."""
    quad = Polygon(((10.0, 10.0), (90.0, 10.0), (90.0, 30.0), (10.0, 30.0)))
    with create_project(folder) as h, h.write() as s:
        splits = list(store.Split)
        ids = store.add_images(
            s,
            [
                store.NewImage(
                    f"images/img_{k}.jpg",
                    1280,
                    720,
                    f"{k:064x}",
                    splits[k % 3],
                    status=store.ImageStatus.VERIFIED if k % 2 else store.ImageStatus.NEW,
                )
                for k in range(n_images)
            ],
        )
        store.add_regions(
            s,
            (
                (i, Region(quad.translated(j * 5, j * 20), text=f"word{j}", order=j))
                for i in ids
                for j in range(per_image)
            ),
            edited=False,
        )


def bench_large(work: Path, n_images: int, per_image: int, repeat: int) -> dict[str, Any]:
    folder = work / "large"
    t0 = time.perf_counter()
    fill_project(folder, n_images, per_image)
    print(
        f"generated {n_images} images x {per_image} regions in "
        f"{time.perf_counter() - t0:.1f} s (not a measurement)"
    )

    def open_and_list() -> int:
        with open_project(folder) as h, h.session() as s:
            return len(store.list_images(s))

    t_open_list, n = best_of(repeat, open_and_list, "open_and_list")
    with open_project(folder) as h:
        t_info, _ = best_of(repeat, lambda: project_info(h), "info")
        with h.session() as s:
            t_list, _ = best_of(repeat, lambda: store.list_images(s), "list")
            t_page, _ = best_of(
                repeat, lambda: store.list_images(s, status="new", limit=100), "list_page"
            )
            t_regions, _ = best_of(
                repeat, lambda: store.regions_of_image(s, n_images // 2), "regions_of_image"
            )
            t_search, hits = best_of(repeat, lambda: store.search_text(s, "word7"), "search")
    t_open, _ = best_of(repeat, lambda: open_project(folder).close(), "open")
    figures = {
        "open_s": t_open,
        "open_and_list_s": t_open_list,
        "list_s": t_list,
        "list_page_s": t_page,
        "info_s": t_info,
        "regions_of_image_s": t_regions,
        "search_s": t_search,
    }
    for k, v in figures.items():
        print(
            f"{n} images, {n * per_image} regions: {k[:-2]} {v * 1000:.1f} ms "
            f"(cpu {CPU[k[:-2]] * 1000:.1f} ms)"
        )
    print(f"(search found {len(hits)} regions, capped at 200)")
    return {
        "large_images": n,
        "large_regions": n * per_image,
        **{k: round(v, 4) for k, v in figures.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--regions-per-image", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_store_") as tmp:
        work = Path(tmp)
        if (args.data / "icdar2015_train").is_dir():
            summary.update(bench_icdar(args.data, work, args.repeat))
        else:
            print(f"skipping the ICDAR 2015 figures: {args.data / 'icdar2015_train'} missing")
        summary.update(bench_large(work, args.images, args.regions_per_image, args.repeat))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
