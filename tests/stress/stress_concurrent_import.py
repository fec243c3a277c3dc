"""Issue 14.1, run N times: `ocrstudio import NB` of many photos into a new project and,
a moment later, a second import of one photo into NB. Both must succeed and NB must hold
both imports (nothing deleted, no "database is locked").

    .venv/bin/python tests/stress/stress_concurrent_import.py --runs 50 --photos 300
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from common import cli, counts, env, hidden, integrity, photos


def one_run(root: Path, n: int, rng: random.Random) -> str | None:
    """None when both imports landed whole, else what went wrong."""
    nb = root / "NB"
    shutil.rmtree(nb, ignore_errors=True)
    big = cli(
        "import",
        str(nb),
        "--format",
        "icdar2015",
        "--images",
        str(root / "big" / "images"),
        "--labels",
        str(root / "big" / "gt"),
        env=env(),
    )
    time.sleep(rng.uniform(0.0, 2.0))
    small = cli(
        "import",
        str(nb),
        "--format",
        "icdar2015",
        "--images",
        str(root / "one" / "images"),
        "--labels",
        str(root / "one" / "gt"),
        env=env(),
    )
    outs = [p.communicate(timeout=600) for p in (big, small)]
    for p, (_, err) in zip((big, small), outs, strict=True):
        if p.returncode != 0:
            return f"exit {p.returncode}: {err.strip().splitlines()[-1][:200]}"
    db = nb / "project.db"
    if not db.is_file():
        return "the project is gone"
    if integrity(db) != "ok":
        return "integrity_check failed"
    if counts(db) != (n + 1, n + 1):
        return f"expected {n + 1} images and regions, found {counts(db)}"
    if hidden(nb):
        return f"left behind: {hidden(nb)}"
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="stress_import_"))
    photos(root / "big", args.photos)
    photos(root / "one", 1, start=10_000)
    failures = []
    for k in range(args.runs):
        why = one_run(root, args.photos, rng)
        if why is not None:
            failures.append(why)
            print(f"run {k}: FAILED {why}", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    print(
        f"concurrent imports: tried {args.runs}, clean {args.runs - len(failures)}, "
        f"failed {len(failures)}"
    )


if __name__ == "__main__":
    main()
