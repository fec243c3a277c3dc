"""Issue 14 must-show: a child process applies edits through `services.annotation` and
prints an acknowledgement after each returns (committed); this script kills it with
SIGKILL at random moments, N times, and after each kill checks that every acknowledged
edit is in the project and that `PRAGMA integrity_check` is ok.

    .venv/bin/python tests/stress/stress_edit_soak.py --kills 200
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import REPO, env, integrity, photos

CHILD = r"""
import sys
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.project import open_project
h = open_project(sys.argv[1])
image_ids = [im.id for im in an.list_images(h)]
k = int(sys.argv[2])
while True:
    image = image_ids[k % len(image_ids)]
    [r] = an.add_regions(h, image, [Region(Polygon.from_box(k % 50, k % 30, 60, 40), f"a{k}")])
    print(f"add {r.id} a{k}", flush=True)
    an.edit_regions(h, [(r.id, r.to_region().with_(text=f"e{k}"))])
    print(f"edit {r.id} e{k}", flush=True)
    if k % 3 == 0:
        an.delete_regions(h, [r.id])
        print(f"delete {r.id}", flush=True)
    if k % 5 == 0:
        an.set_image_verified(h, image, k % 10 == 0)
    k += 1
"""


def read_acks(proc: subprocess.Popen, acks: list[str]) -> None:
    for line in proc.stdout:  # type: ignore[union-attr]
        acks.append(line.strip())


def expected(acks: list[str]) -> dict[int, str | None]:
    """region id -> its acknowledged text (None: acknowledged deleted)."""
    out: dict[int, str | None] = {}
    for ack in acks:
        kind, rid, *rest = ack.split()
        out[int(rid)] = None if kind == "delete" else rest[0]
    return out


def stored(db: Path) -> dict[int, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT id, text FROM region"))
    finally:
        conn.close()


def check(db: Path, acks: list[str], unsure: set[int]) -> str | None:
    """`unsure`: the region each killed child was working on; the edit after its last
    acknowledgement may have committed before the kill, so it may be one step ahead
    (and regions may exist that were never acknowledged: they are not checked)."""
    if integrity(db) != "ok":
        return "integrity_check failed"
    have = stored(db)
    for rid, text in expected(acks).items():
        if rid in unsure:
            continue
        if text is None and rid in have:
            return f"region {rid} acknowledged deleted but present"
        if text is not None and rid not in have:
            return f"region {rid} ({text}) acknowledged but missing"
        if text is not None and have[rid] != text:
            return f"region {rid}: acknowledged {text!r}, stored {have[rid]!r}"
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="stress_soak_"))
    images = photos(root / "src", 5)[0]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ocrstudio",
            "project",
            "new",
            str(root / "p"),
            "--images",
            str(images),
        ],
        cwd=REPO,
        env=env(),
        check=True,
        capture_output=True,
    )
    db = root / "p" / "project.db"
    all_acks: list[str] = []
    failures, k, unsure = [], 0, set()
    for n in range(args.kills):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root / "p"), str(k)],
            cwd=REPO,
            env=env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        acks: list[str] = []
        reader = threading.Thread(target=read_acks, args=(proc, acks))
        reader.start()
        time.sleep(rng.uniform(0.8, 2.5))  # startup takes most of a second
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join()
        all_acks.extend(acks)
        if acks:
            unsure.add(int(acks[-1].split()[1]))
        why = check(db, all_acks, unsure)
        if why:
            failures.append(f"kill {n}: {why}")
            print(failures[-1], flush=True)
        k += 100_000  # the next child's region texts never repeat this one's
    edits = len(all_acks)
    shutil.rmtree(root, ignore_errors=True)
    print(
        f"edit soak: {args.kills} kills, {edits} acknowledged edits "
        f"({len(unsure)} regions one step ahead allowed), "
        f"clean {args.kills - len(failures)}, failed {len(failures)}"
    )


if __name__ == "__main__":
    main()
