"""One simulated team member, run as its own process by the team tests and the soak:
`python tests/support/team_member.py edit FOLDER NAME EDITS SEED ACKS [STALE]` appends a token to
random regions' text, EDITS times, each edit its own transaction checked against the
version it was made on (a conflict is retried on the fresh region), holding a lease on
the image it works on and moving to the next free one; with probability STALE it edits a
region of any image from an older read (what a member with a stale window does). Each
acknowledged edit (committed) is appended to the ACKS file as `region_id token`.
`... hold FOLDER NAME IMAGE_ID TTL` takes the image's lease, writes regions in a
transaction it never commits, says `ready` and waits to be killed."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from ocrstudio.services import annotation, team
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.team_file import read_team_file


def handle(folder: str, name: str) -> ProjectHandle:
    path = Path(folder).resolve()
    return ProjectHandle(path, url=read_team_file(path).url, author=name)


def edit(folder: str, name: str, edits: int, seed: int, acks: str, stale: float) -> None:
    rng = random.Random(seed)
    conflicts = leased_away = 0
    with handle(folder, name) as h, open(acks, "a", encoding="utf-8") as out:
        order = [i.id for i in annotation.list_images(h)]
        current = None
        for k in range(edits):
            if current is None or rng.random() < 0.1:  # move on to the next free image
                nxt = team.next_free_image(h, order, current)
                if current is not None:
                    team.release_image(h, current)
                current = nxt
                try:
                    if current is not None:
                        team.hold_image(h, current, ttl_s=30)
                except team.ImageLeased:
                    leased_away += 1
                    current = None
            stale_view = current is None or rng.random() < stale  # any image, held or not
            target = rng.choice(order) if stale_view else current
            regions = annotation.regions_of_image(h, target)
            seen = rng.choice(regions)
            token = f"{name}.{k}"
            while True:
                try:
                    text = seen.text + token + ";"
                    team.edit_regions_checked(
                        h, [seen], [(seen.id, seen.to_region().with_(text=text))]
                    )
                    break
                except team.EditConflict as exc:
                    conflicts += 1
                    fresh = exc.theirs[seen.id]
                    assert fresh is not None and "since you saw it" in str(exc)
                    seen = fresh
            out.write(f"{seen.id} {token}\n")
            out.flush()
        if current is not None:
            team.release_image(h, current)
    print(f"done {name} conflicts={conflicts} leased_away={leased_away}", flush=True)


def hold(folder: str, name: str, image_id: int, ttl: float) -> None:
    from ocrstudio.core.types import Polygon, Region
    from ocrstudio.store import edits

    with handle(folder, name) as h:
        team.hold_image(h, image_id, ttl_s=ttl)
        with h.write() as s:
            edits.add_manual_regions(
                s, image_id, [Region(Polygon(((0, 0), (5, 0), (5, 5), (0, 5))), "half-written")]
            )
            s.flush()
            print("ready", flush=True)
            time.sleep(3600)  # killed here, mid-transaction


if __name__ == "__main__":
    verb, folder, name, *rest = sys.argv[1:]
    if verb == "edit":
        edit(
            folder,
            name,
            int(rest[0]),
            int(rest[1]),
            rest[2],
            float(rest[3]) if len(rest) > 3 else 0.2,
        )
    else:
        hold(folder, name, int(rest[0]), float(rest[1]))
