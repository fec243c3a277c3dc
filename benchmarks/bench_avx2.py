"""ocrstudio's `--preset fast` vs RapidOCR 3.10 as an AVX2-only CPU (no AVX-512) would run
them, measured on a machine that has AVX-512.

ONNX Runtime (both engines run their networks on it) and torch pick their kernels by CPUID,
so a plain timing here says how fast the AVX-512 (VNNI) kernels are. Valgrind reports a
CPUID of its own (a Haswell-class CPU: AVX2 and FMA, no AVX-512, no AVX-VNNI, and it could
not execute AVX-512 anyway), so under valgrind the AVX2 kernels run. Callgrind counts the
instructions they execute (Ir): a proxy, independent of the machine, for the work an
AVX2-only CPU does. Instructions are not seconds (memory stalls, instruction mix and
frequency are not in the count), so the ratio of the two engines is the result to read.

Each engine runs in a child process, one thread (OMP/MKL/OpenBLAS/OpenCV threads 1,
torch.set_num_threads(1), which ocrstudio's ONNX Runtime sessions follow; RapidOCR's
EngineConfig.onnxruntime.intra/inter_op_num_threads 1): ONNX Runtime's worker threads spin,
and spinning would count as instructions. The child loads the engine, reads one warm-up
photo (the first of the ICDAR 2015 validation split), prints READY and waits; callgrind
counts only while it reads the next N photos (`callgrind_control -i on/off` around them).
RapidOCR runs `bench_peers.PEER_SCRIPT` ("rapidocr3", word boxes) unchanged, with the thread
parameters added to its RapidOCR(...). The same child without valgrind gives the
single-thread seconds per photo on this machine (AVX-512 kernels; wall and CPU time: the
machine may be busy). Image decoding is in both engines' counts and times.

    nice -n 19 .venv/bin/python benchmarks/bench_avx2.py [--photos N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import PEER_SCRIPT, REPO, _regions, photo_scores  # noqa: E402

from ocrstudio.training.api import load_folder  # noqa: E402
from recipes import default_data, write_splits  # noqa: E402

THREADS_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}

# Both children start with this: argv[1:] = image paths (the first is the warm-up). Every
# photo's JSON line goes through `print`, which holds the child after the warm-up (READY)
# and after the last photo (DONE) until the parent writes a line.
PRELUDE = r"""
import io, json, sys, time
PATHS, _stdin, _print, _seen, _t = sys.argv[1:], sys.stdin, print, [0], {}
def _hold(tag):
    _print(tag, flush=True)
    _stdin.readline()
def print(*args, **kwargs):
    _print(*args, **kwargs)
    _seen[0] += 1
    if _seen[0] == 1:
        _hold("READY")
        _t["wall"], _t["cpu"] = time.perf_counter(), time.process_time()
    elif _seen[0] == len(PATHS):
        _print(json.dumps({"wall": time.perf_counter() - _t["wall"],
                           "cpu": time.process_time() - _t["cpu"]}), flush=True)
        _hold("DONE")
"""

OCRSTUDIO = (
    PRELUDE
    + r"""
import torch
torch.set_num_threads(1)
from ocrstudio.services.ocr import load_ocr
from ocrstudio.core.images import read_image
ocr = load_ocr(None, None, "cpu", "fast")
for p in PATHS:
    t0 = time.perf_counter()
    page = ocr.predict(read_image(p))
    regions = [[r.polygon.as_array().tolist(), r.text] for r in page.regions]
    print(json.dumps({"image": p, "regions": regions, "seconds": time.perf_counter() - t0}),
          flush=True)
"""
)

RAPIDOCR = (
    PRELUDE
    + r"""
import rapidocr
_RapidOCR = rapidocr.RapidOCR
def _one_thread(params=None, **kwargs):
    return _RapidOCR(params={**(params or {}),
                             "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                             "EngineConfig.onnxruntime.inter_op_num_threads": 1}, **kwargs)
rapidocr.RapidOCR = _one_thread
sys.argv[1:] = ["rapidocr3", "photos"]
sys.stdin = io.StringIO("\n".join(PATHS))
"""
    + PEER_SCRIPT
)

ENGINES = {
    "ocrstudio_fast": "ocrstudio --preset fast (ONNX Runtime)",
    "rapidocr3": "RapidOCR 3.10 (ONNX Runtime)",
}


def run_child(python: str, code: str, paths: list[str], callgrind: Path | None) -> dict[str, Any]:
    """One child: warm-up photo, then the timed ones; under callgrind when given an output
    file. Returns the timed photos' JSON rows, wall/CPU seconds and, under callgrind, Ir."""
    cmd = [python, "-c", code, *paths]
    if callgrind is not None:
        cmd = [
            "valgrind",
            "-q",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={callgrind}",
            *cmd,
        ]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, **THREADS_ENV},
            cwd=REPO,
        )
        assert proc.stdin is not None and proc.stdout is not None
        rows: list[dict[str, Any]] = []
        clock: dict[str, float] = {}
        for line in proc.stdout:
            line = line.strip()
            if line in ("READY", "DONE"):
                if callgrind is not None:
                    subprocess.run(
                        [
                            "callgrind_control",
                            "-i",
                            "on" if line == "READY" else "off",
                            str(proc.pid),
                        ],
                        check=True,
                        capture_output=True,
                        timeout=600,
                    )
                proc.stdin.write("go\n")
                proc.stdin.flush()
            elif line.startswith("{"):
                row = json.loads(line)
                if "regions" in row:
                    rows.append(row)
                else:
                    clock.update(row)
        if proc.wait() or len(rows) != len(paths) or not clock:
            err.seek(0)
            raise RuntimeError(f"{cmd[:4]} failed ({proc.returncode}):\n{err.read()[-3000:]}")
    out = {
        "rows": rows[1:],
        "wall_s": clock["wall"],
        "cpu_s": clock["cpu"],
        "process_s": time.perf_counter() - t0,
    }
    if callgrind is not None:
        totals = re.findall(r"^totals:\s*(\d+)", callgrind.read_text(), re.M)
        out["instructions"] = int(totals[-1])
    return out


def bench_engine(python: str, code: str, photos: list[Any], tmp: Path, name: str) -> dict[str, Any]:
    paths = [str(p.image_path) for p in photos]
    n = len(photos) - 1
    plain = run_child(python, code, paths, None)  # first: also builds ocrstudio's int8 cache
    grind = run_child(python, code, paths, tmp / f"callgrind.{name}.out")
    found = [_regions(r["regions"]) for r in plain["rows"]]
    scores = photo_scores(photos[1:], found, [r["seconds"] for r in plain["rows"]])
    return {
        "engine": ENGINES[name],
        "photos": n,
        "ir_per_photo": grind["instructions"] / n,
        "s_per_photo": plain["wall_s"] / n,
        "cpu_s_per_photo": plain["cpu_s"] / n,
        "photo_s": [r["seconds"] for r in plain["rows"]],
        "words": sum(len(f) for f in found),
        "words_valgrind": sum(len(_regions(r["regions"])) for r in grind["rows"]),
        "det_hmean": scores["det_hmean"],
        "e2e_hmean": scores["e2e_hmean"],
        "valgrind_process_s": grind["process_s"],
        "plain_process_s": plain["process_s"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--photos",
        type=int,
        default=5,
        help="timed validation photos, after the one used for warm-up",
    )
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--data", default=str(default_data()))
    ap.add_argument("--peers-python", default=str(REPO / ".venv-peers" / "bin" / "python"))
    args = ap.parse_args()
    if args.photos < 1:
        ap.error("--photos must be at least 1")
    os.nice(19)  # another job may be training: stay out of its way (children inherit it)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_splits(Path(args.data), Path(tmp))
        photos = load_folder(Path(tmp) / "icdar2015_val")[: 1 + args.photos]
        results: dict[str, Any] = {
            "photos": [Path(p.image_path).name for p in photos[1:]],
            "warm_up": Path(photos[0].image_path).name,
            "host_avx512": "avx512f" in Path("/proc/cpuinfo").read_text(),
            "ocrstudio_fast": bench_engine(
                sys.executable, OCRSTUDIO, photos, Path(tmp), "ocrstudio_fast"
            ),
            "rapidocr3": bench_engine(args.peers_python, RAPIDOCR, photos, Path(tmp), "rapidocr3"),
        }
    ours, theirs = results["ocrstudio_fast"], results["rapidocr3"]
    results["ratio_ocrstudio_over_rapidocr"] = {
        k: ours[k] / theirs[k] for k in ("ir_per_photo", "s_per_photo", "cpu_s_per_photo")
    }
    results["total_s"] = time.perf_counter() - start
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1))
    _table(results)


def _table(results: dict[str, Any]) -> None:
    cols = (
        ("ir_per_photo", "Ir/photo AVX2", "{:>16.3e}"),
        ("s_per_photo", "s/photo", "{:>10.3f}"),
        ("cpu_s_per_photo", "CPU s/photo", "{:>12.3f}"),
        ("words", "words", "{:>7}"),
        ("e2e_hmean", "e2e", "{:>7.3f}"),
    )
    widths = [int(re.findall(r"\d+", fmt)[0]) for _, _, fmt in cols]
    print(
        f"{len(results['photos'])} photos (warm-up {results['warm_up']} not counted), "
        f"one thread; Ir under valgrind (AVX2 kernels), seconds on this machine "
        f"({'AVX-512' if results['host_avx512'] else 'no AVX-512'})"
    )
    print(
        f"{'engine':<24}" + "".join(f"{h:>{w}}" for (_, h, _), w in zip(cols, widths, strict=True))
    )
    for name in ("ocrstudio_fast", "rapidocr3"):
        row = results[name]
        print(f"{name:<24}" + "".join(fmt.format(row[k]) for k, _, fmt in cols))
    ratio = results["ratio_ocrstudio_over_rapidocr"]
    print(
        f"{'ocrstudio / rapidocr':<24}"
        + "".join(
            f"{ratio[k]:>{w}.3f}" if k in ratio else f"{'':>{w}}"
            for (k, _, _), w in zip(cols, widths, strict=True)
        )
    )
    print(f"measured in {results['total_s']:.0f} s")


if __name__ == "__main__":
    main()
