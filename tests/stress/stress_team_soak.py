"""Issue 22 must-show: 4 simulated members (processes) make 2,000 edits each on one team
project on a real PostgreSQL server, holding leases on the images they work on and, one
edit in five, editing any image from a stale read (so version conflicts really happen and
are retried). Afterwards every acknowledged edit must be in the project exactly once, and
the server's log must name no deadlock.

    .venv/bin/python tests/stress/stress_team_soak.py [--members 4] [--edits 2000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUPPORT = HERE.parent / "support"  # pgcluster, team_member
# The repository's root, for `tests.support` (not tests/ itself: its folders named like
# the package's parts, recipes among them, would hide the real ones).
sys.path.insert(0, str(HERE.parents[1]))

from tests.support.pgcluster import PgCluster  # noqa: E402


def build(folder: Path, url: str, images: int, regions: int) -> None:
    import numpy as np
    from PIL import Image

    from ocrstudio.core.types import Polygon, Region
    from ocrstudio.services import annotation, team

    (folder / "photos").mkdir(parents=True)
    for k in range(images):
        arr = np.random.default_rng(k).integers(0, 255, (40, 200, 3), dtype=np.uint8)
        Image.fromarray(arr).save(folder / "photos" / f"p{k}.png")
    with team.create_team_project(folder, url, folder / "photos") as h:
        for img in annotation.list_images(h):
            boxes = [Polygon.from_box(12 * j, 1, 12 * j + 10, 9) for j in range(regions)]
            annotation.add_regions(h, img.id, [Region(b, f"r{j}:") for j, b in enumerate(boxes)])


def check(folder: Path, acks: list[Path]) -> tuple[int, int]:
    from ocrstudio.services import annotation
    from ocrstudio.services.project import open_project

    acked: dict[int, list[str]] = defaultdict(list)
    for path in acks:
        for line in path.read_text().splitlines():
            rid, token = line.split()
            acked[int(rid)].append(token)
    missing = extra = 0
    with open_project(folder, read_only=True) as h:
        for img in annotation.list_images(h):
            for r in annotation.regions_of_image(h, img.id):
                stored = [t for t in r.text.split(":", 1)[1].split(";") if t]
                want = acked.pop(r.id, [])
                missing += len(set(want) - set(stored))
                extra += len(stored) - len(set(stored)) + len(set(stored) - set(want))
    missing += sum(len(v) for v in acked.values())  # acknowledged on a region now gone
    return missing, extra


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--edits", type=int, default=2000)
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--regions", type=int, default=5)
    ap.add_argument("--stale", type=float, default=0.2)
    args = ap.parse_args()
    cluster = PgCluster()
    cluster.start()
    import os

    os.environ["PGPASSFILE"] = str(cluster.pgpass)
    try:
        work = Path(tempfile.mkdtemp(prefix="team-soak-"))
        folder = work / "P"
        build(folder, cluster.create_db("soak"), args.images, args.regions)
        acks = [work / f"m{k}.acks" for k in range(args.members)]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(SUPPORT / "team_member.py"),
                    "edit",
                    str(folder),
                    f"m{k}",
                    str(args.edits),
                    str(k),
                    str(acks[k]),
                    str(args.stale),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for k in range(args.members)
        ]
        outs = [p.communicate(timeout=3600) for p in procs]
        wall = time.perf_counter() - start
        failed = [e[-1500:] for p, (_, e) in zip(procs, outs, strict=True) if p.returncode]
        conflicts = sum(int(o.split("conflicts=")[1].split()[0]) for o, _ in outs if o)
        total = sum(len(a.read_text().splitlines()) for a in acks)
        missing, extra = check(folder, acks)
        log = (cluster.base / "log").read_text()
        deadlocks = log.count("deadlock detected")
        print(
            f"members {args.members} x {args.edits} edits: {total} acknowledged in "
            f"{wall:.1f} s ({total / wall:.0f} edits/s); {conflicts} conflicts reported "
            f"and retried; missing {missing}, extra {extra}; deadlocks {deadlocks}; "
            f"failed members {len(failed)}"
        )
        for f in failed:
            print(f)
        ok = (
            not failed
            and total == args.members * args.edits
            and not missing
            and not extra
            and not deadlocks
        )
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
