"""GUI timings, offscreen, through the real window:

- worst event-loop stall while a fine-tune runs in the training pool (goal < 200 ms),
- opening a project of 10,000 images (until the first image and its list are shown),
- frame time while panning an image with 2,000 regions (zoomed in, and fit: all visible),
- opening a 12-megapixel photo,
- pre-labeling photos per second in the window (the `fast` preset, models loaded once per
  session: a first run and a second one) against `ocrstudio ocr --preset fast` on the
  same photos (ICDAR 2015 photos from ../shared/data when present, else generated ones).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--steps 30]
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py --only prelabel

Prints one line per figure and a JSON summary on the last line. The machine's load is
printed too: on a shared machine it moves every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ocrstudio import store  # noqa: E402
from ocrstudio.core.types import Polygon, Region  # noqa: E402
from ocrstudio.services import annotation as an  # noqa: E402
from ocrstudio.services.demo import create_demo_project, render_demo_image  # noqa: E402
from ocrstudio.services.project import create_project, open_project  # noqa: E402


def _window(work: Path) -> Any:
    from ocrstudio.ui.app import application
    from ocrstudio.ui.main_window import MainWindow
    from ocrstudio.ui.testing import isolated_settings

    application()
    w = MainWindow(isolated_settings(work))
    w.show()
    return w


def _photo(path: Path, width: int, height: int, seed: int = 0) -> None:
    img, _ = render_demo_image(seed)
    big = np.asarray(Image.fromarray(img).resize((width, height), Image.BILINEAR))
    noise = np.random.default_rng(seed).integers(0, 12, big.shape, dtype=np.uint8)
    Image.fromarray(big + noise).save(path, quality=92)


def bench_open_large(work: Path, n_images: int) -> dict[str, Any]:
    """10,000 image rows (hard links to one 1280x720 JPEG), 3 regions each."""
    from ocrstudio.ui.testing import wait_until

    folder, images = work / "large", work / "large" / "images"
    images.mkdir(parents=True)
    _photo(images / "img_0.jpg", 1280, 720)
    for k in range(1, n_images):
        os.link(images / "img_0.jpg", images / f"img_{k}.jpg")
    quad = Polygon.from_box(100, 100, 300, 150)
    with create_project(folder) as h, h.write() as s:
        ids = store.add_images(
            s,
            [
                store.NewImage(
                    f"images/img_{k}.jpg", 1280, 720, f"{k:064x}", list(store.Split)[k % 3]
                )
                for k in range(n_images)
            ],
        )
        store.add_regions(
            s,
            (
                (i, Region(quad.translated(0, 80 * j), f"w{j}", order=j))
                for i in ids
                for j in range(3)
            ),
            edited=False,
        )
    w = _window(work)
    t0 = time.perf_counter()
    w.open_project(folder)
    t_open = time.perf_counter() - t0
    wait_until(
        lambda: all(
            w.editor.images.data(w.editor.images.index(r, 0), 1) is not None for r in range(8)
        ),
        30,
    )
    t_thumbs = time.perf_counter() - t0
    assert w.editor.images.rowCount() == n_images and w.editor.image is not None
    w.close()
    print(
        f"open a project of {n_images} images: {t_open:.3f} s to the first image shown, "
        f"{t_thumbs:.3f} s until the visible thumbnails are in"
    )
    return {"open_10k_s": round(t_open, 3), "open_10k_thumbs_s": round(t_thumbs, 3)}


def _pan_frames(canvas: Any, frames: int, step: int) -> list[float]:
    """Scroll, then paint the whole viewport into an image (offscreen there is no screen
    to flush to, so this is the frame's full painting cost)."""
    from PySide6.QtGui import QImage

    vp = canvas.viewport()
    target = QImage(vp.size(), QImage.Format.Format_ARGB32_Premultiplied)
    bar = canvas.horizontalScrollBar()
    times = []
    for k in range(frames):
        bar.setValue(bar.value() + (step if (k // 20) % 2 == 0 else -step))
        t0 = time.perf_counter()
        vp.render(target)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def bench_pan(work: Path, n_regions: int, frames: int) -> dict[str, Any]:
    folder = work / "pan"
    (folder / "images").mkdir(parents=True)
    _photo(folder / "images" / "big.jpg", 2400, 1600)
    cols = 50
    regions = [
        Region(
            Polygon.from_box(
                10 + (k % cols) * 47,
                10 + (k // cols) * 39,
                50 + (k % cols) * 47,
                40 + (k // cols) * 39,
            ),
            f"w{k}",
            score=0.3 + 0.6 * (k % 7) / 7,
            det_score=0.9,
        )
        for k in range(n_regions)
    ]
    with create_project(folder, folder / "images") as h, h.write() as s:
        image_id = store.list_images(s)[0].id
        store.add_regions(s, [(image_id, r) for r in regions], edited=False)
    w = _window(work)
    t0 = time.perf_counter()
    w.open_project(folder)
    t_open = time.perf_counter() - t0
    c = w.canvas
    assert len(c.items_by_id) == n_regions
    out: dict[str, Any] = {"open_2000_regions_s": round(t_open, 3)}
    for label, zoom in (("fit", None), ("1to1", 1.0)):
        c.fit() if zoom is None else c.zoom_by(zoom / c.zoom())
        _pan_frames(c, 5, 10)  # warm-up
        ms = _pan_frames(c, frames, 15)
        out[f"pan_{label}_ms_mean"] = round(statistics.mean(ms), 2)
        out[f"pan_{label}_ms_p95"] = round(sorted(ms)[int(0.95 * len(ms))], 2)
        print(
            f"pan with {n_regions} regions, zoom {label}: frame {statistics.mean(ms):.1f} ms "
            f"mean, {out[f'pan_{label}_ms_p95']:.1f} ms p95"
        )
    w.close()
    print(f"open an image with {n_regions} regions: {t_open:.3f} s")
    return out


def bench_12mp(work: Path) -> dict[str, Any]:
    """Open a 12-megapixel photo cold (decode + show), then the next one as "verified, next
    image" finds it: decoded ahead in the background."""
    from ocrstudio.ui.testing import wait_until

    folder = work / "mp12"
    (folder / "images").mkdir(parents=True)
    for k in range(3):
        _photo(folder / "images" / f"{k}.jpg", 4000, 3000, k + 1)
    with create_project(folder, folder / "images"):
        pass
    w = _window(work)
    w.open_project(folder)
    ed = w.editor
    ed.prefetch_pool = None  # cold: nothing decoded ahead
    t0 = time.perf_counter()
    ed.step_image(+1)
    w.canvas.viewport().repaint()
    cold = time.perf_counter() - t0
    ed.prefetch_pool = w.pools.thumbnails
    ed._prefetch(ed.image.id)
    wait_until(lambda: ed._ahead, 30)
    t0 = time.perf_counter()
    ed.step_image(+1)
    w.canvas.viewport().repaint()
    warm = time.perf_counter() - t0
    w.close()
    print(
        f"open a 12-megapixel photo (decode, show, first paint): {cold:.3f} s cold, "
        f"{warm:.3f} s when decoded ahead (the next image)"
    )
    return {"open_12mp_s": round(cold, 3), "open_12mp_ahead_s": round(warm, 3)}


def bench_stall(work: Path, steps: int) -> dict[str, Any]:
    """Fine-tune a tiny CRNN for `steps` steps from the training dialog; a 10 ms heartbeat
    records how late the event loop answers (from the click on Start to the end)."""
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.training.api import build_model
    from ocrstudio.ui.dialogs.training import TrainingDialog
    from ocrstudio.ui.testing import Heartbeat, wait_until

    work.mkdir(parents=True, exist_ok=True)
    folder = create_demo_project(work / "demo", count=6, verified=6)
    with open_project(folder) as h:
        ids = [r.id for r in an.list_images(h)]
        with h.write() as s:
            store.set_splits(s, {i: ("val" if k == 5 else "train") for k, i in enumerate(ids)})
        built = build_model("crnn_small", "tiny", None, [])
        save_checkpoint(h.models_dir / "base", built.model.state_dict(), built.card)
        with h.write() as s:
            store.add_model_version(
                s, "base", "crnn_small", "recognizer", "models/base/model.safetensors"
            )
    w = _window(work)
    w.open_project(folder)
    d = TrainingDialog(w.jobs, w.models_panel, w)
    d.select("crnn_small", "base")
    d.by_steps.setChecked(True)
    d.length.setValue(steps)
    d.device.setCurrentText("cpu")
    d.show()
    t_settle = time.perf_counter()
    wait_until(lambda: time.perf_counter() - t_settle > 1.0, 5)  # the dialog's first paint
    beat = Heartbeat().start()
    t0 = time.perf_counter()
    worker = d.start()
    wait_until(lambda: worker is not None and worker.done, 1200)
    wall = time.perf_counter() - t0
    worst = beat.stop()
    ok = d.run_result is not None
    w.close()
    print(
        f"fine-tune {steps} steps in the training pool: {wall:.1f} s, worst event-loop "
        f"stall {worst * 1000:.0f} ms over {beat.ticks} heartbeats (goal < 200 ms)"
        + ("" if ok else "  (the run FAILED)")
    )
    return {
        "train_steps": steps,
        "train_wall_s": round(wall, 1),
        "worst_stall_ms": round(worst * 1000, 1),
        "heartbeats": beat.ticks,
        "train_ok": ok,
    }


def _photos(work: Path, n: int) -> Path:
    """n photos in a folder: ICDAR 2015 training photos if the shared data is there."""
    import shutil

    folder = work / "photos"
    folder.mkdir(parents=True)
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "icdar2015_train"
    found = sorted((shared / "images").glob("*.jpg"))[:n] if shared.is_dir() else []
    for f in found:
        shutil.copy(f, folder / f.name)
    for k in range(len(found), n):
        _photo(folder / f"gen_{k}.jpg", 1280, 720, seed=k)
    return folder


def bench_prelabel(work: Path, n: int) -> dict[str, Any]:
    """Pre-label n photos from the window (fast preset), twice, then `ocrstudio ocr`."""
    import subprocess
    import sys

    from ocrstudio.ui.prelabel_ui import start_prelabel
    from ocrstudio.ui.testing import wait_until

    photos = _photos(work, n)
    create_project(work / "proj", photos).close()
    # the int8 models are built once per machine (cached); neither side pays for it here
    from ocrstudio.services.quick_ocr import default_models

    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from ocrstudio.services.ocr import build_ocr; "
            f"build_ocr(*{[str(p) for p in default_models('fast')]!r}, 'cpu', 'fast')",
        ],
        check=True,
        capture_output=True,
    )
    print(f"int8 cache ready in {time.perf_counter() - t0:.1f} s")
    w = _window(work)
    w.open_project(work / "proj")
    wait_until(lambda: not w.jobs_bar.rows, 60)
    rates = []
    for only_new in (True, False):  # the first run loads the models, the second reuses them
        t0 = time.perf_counter()
        worker = start_prelabel(w.jobs, current_only=False, only_new=only_new, device="cpu")
        wait_until(lambda worker=worker: worker.done, 1800)
        rates.append(n / (time.perf_counter() - t0))
    ok = not w.jobs.last_error
    w.close()
    files = sorted(str(p) for p in photos.iterdir())
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ocrstudio", "ocr", "--preset", "fast", "--device", "cpu", *files],
        capture_output=True,
        text=True,
    )
    cli = n / (time.perf_counter() - t0)
    print(
        f"pre-label {n} photos in the window (fast): {rates[0]:.2f} photos/s first run "
        f"(models loaded), {rates[1]:.2f} photos/s again (models kept); "
        f"`ocrstudio ocr --preset fast` on the same photos: {cli:.2f} photos/s "
        f"(process start and model load included)"
        + ("" if ok and done.returncode == 0 else "  (a run FAILED)")
    )
    return {
        "prelabel_photos": n,
        "window_first_per_s": round(rates[0], 2),
        "window_again_per_s": round(rates[1], 2),
        "cli_fast_per_s": round(cli, 2),
        "prelabel_ok": ok and done.returncode == 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30, help="fine-tune steps for the stall")
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--regions", type=int, default=2000)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--photos", type=int, default=15, help="photos to pre-label")
    ap.add_argument("--only", choices=("stall", "open", "pan", "12mp", "prelabel"), action="append")
    args = ap.parse_args()
    import torch

    print(
        f"load average {os.getloadavg()}, cpus {os.cpu_count()}, "
        f"torch threads {torch.get_num_threads()}"
    )
    wanted = set(args.only or ("stall", "open", "pan", "12mp", "prelabel"))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_gui_") as tmp:
        work = Path(tmp)
        if "open" in wanted:
            results.update(bench_open_large(work, args.images))
        if "pan" in wanted:
            results.update(bench_pan(work, args.regions, args.frames))
        if "12mp" in wanted:
            results.update(bench_12mp(work))
        if "stall" in wanted:
            results.update(bench_stall(work / "stall", args.steps))
        if "prelabel" in wanted:
            results.update(bench_prelabel(work / "prelabel", args.photos))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
