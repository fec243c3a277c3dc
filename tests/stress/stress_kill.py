"""Issues 14.2 and 14.3: kill -9 an import and an export at random moments (N each).
After each kill the project opens whole (integrity ok, all of the import or none of it),
the export folder holds the previous export or the new one complete, and the next run
finishes and leaves no scratch or private files.

    .venv/bin/python tests/stress/stress_kill.py --kills 50 --photos 300
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from common import CLI, cli, counts, env, hidden, integrity, photos


def timed(args: list[str]) -> float:
    t0 = time.perf_counter()
    p = cli(*args, env=env())
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    return time.perf_counter() - t0


def killed(args: list[str], at: float) -> bool:
    """Run, SIGKILL after `at` seconds; whether the kill came before the end."""
    p = cli(*args, env=env())
    try:
        p.wait(timeout=at)
        return False
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True


def import_args(nb: Path, src: Path) -> list[str]:
    return [
        "import",
        str(nb),
        "--format",
        "icdar2015",
        "--images",
        str(src / "images"),
        "--labels",
        str(src / "gt"),
    ]


def check_import(nb: Path, src: Path, n: int, existing: bool) -> str | None:
    db = nb / "project.db"
    states = {(1, 1), (n + 1, n + 1)} if existing else {(n, n)}
    if db.exists():
        if integrity(db) != "ok":
            return "integrity_check failed after the kill"
        if counts(db) not in states:
            return f"half an import after the kill: {counts(db)}"
        info = subprocess.run(
            [*CLI, "project", "info", str(nb)], capture_output=True, text=True, env=env()
        )
        if info.returncode != 0:
            return f"project info after the kill: {info.stderr.strip()[-200:]}"
    elif existing:
        return "the existing project is gone"
    timed(import_args(nb, src))  # the next run
    if counts(db) != max(states):
        return f"the next import did not complete: {counts(db)}"
    if hidden(nb):
        return f"left behind: {hidden(nb)}"
    return None


def check_export(out: Path, fmt: str, n: int, had_old: bool) -> str | None:
    def complete() -> bool:
        if fmt == "crops":
            gt = out / "rec_gt.txt"
            return (
                gt.is_file()
                and len(gt.read_text().splitlines()) == n
                and len(list((out / "crops").glob("*.png"))) == n
            )
        return len(list(out.glob("gt_*.txt"))) == n

    if out.exists():
        if not complete():
            return f"half an export in {out.name}"
        if had_old and not (out / "mine.txt").is_file():
            return "the user's own file in OUT is gone"
    elif had_old:
        return "the previous export is gone"
    return None


def run_imports(
    root: Path, src: Path, n: int, kills: int, rng: random.Random, landed: list[int]
) -> list[str]:
    seed = photos(root / "seed", 1, start=20_000)
    duration = timed(import_args(root / "probe", src))
    failures = []
    for k in range(kills):
        nb, existing = root / f"nb{k}", k % 2 == 1
        if existing:
            timed(import_args(nb, seed[0].parent))
        landed[0] += killed(import_args(nb, src), rng.uniform(0.2, duration))
        why = check_import(nb, src, n, existing)
        if why:
            failures.append(f"import kill {k}: {why}")
            print(failures[-1], flush=True)
        shutil.rmtree(nb, ignore_errors=True)
    return failures


def run_exports(root: Path, n: int, kills: int, rng: random.Random, landed: list[int]) -> list[str]:
    project = root / "probe"
    failures = []
    durations = {
        fmt: timed(["export", str(project), "--format", fmt, "--out", str(root / f"probe_{fmt}")])
        for fmt in ("icdar2015", "crops")
    }
    for k in range(kills):
        fmt, had_old = ("icdar2015", "crops")[k % 2], k % 4 >= 2
        out = root / f"exports{k}" / "OUT"
        args = ["export", str(project), "--format", fmt, "--out", str(out)]
        if had_old:
            timed(args)
            (out / "mine.txt").write_text("the user's")
        landed[1] += killed(args, rng.uniform(0.2, durations[fmt]))
        why = check_export(out, fmt, n, had_old)
        if why is None:
            timed(args)
            why = check_export(out, fmt, n, had_old) or (
                f"left behind: {hidden(out.parent)}" if hidden(out.parent) else None
            )
            if not out.exists():
                why = "the next export wrote nothing"
        if why:
            failures.append(f"export kill {k} ({fmt}): {why}")
            print(failures[-1], flush=True)
        shutil.rmtree(out.parent, ignore_errors=True)
    return failures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="stress_kill_"))
    src = photos(root / "src", args.photos)[0].parent
    landed = [0, 0]  # kills that came before the command ended by itself
    imports = run_imports(root, src, args.photos, args.kills, rng, landed)
    exports = run_exports(root, args.photos, args.kills, rng, landed)
    shutil.rmtree(root, ignore_errors=True)
    for k, (what, failures) in enumerate((("import", imports), ("export", exports))):
        print(
            f"kill -9 during {what}: tried {args.kills} ({landed[k]} killed mid-run), "
            f"clean {args.kills - len(failures)}, failed {len(failures)}"
        )


if __name__ == "__main__":
    main()
