"""Several people on one team project at once, against a real PostgreSQL server: leases
on images and training, edits that check their version (a conflict is reported, never an
overwrite), the review stages, two member processes editing together, and a member
killed mid-edit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from ocrstudio.cli import main
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation, team
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.team_file import read_team_file
from ocrstudio.store.records import ImageStatus, Stage
from tests.support.photos import photos

MEMBER = Path(__file__).parents[1] / "support" / "team_member.py"


def quad(x: float, y: float) -> Polygon:
    return Polygon(((x, y), (x + 10, y), (x + 10, y + 5), (x, y + 5)))


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Path:
    """A team project of 4 photos with 3 regions each."""
    folder = tmp_path / "P"
    with team.create_team_project(folder, pg_url, photos(folder / "photos", 4)) as h:
        for img in annotation.list_images(h):
            annotation.add_regions(
                h, img.id, [Region(quad(1 + 15 * k, 1), f"r{k}:") for k in range(3)]
            )
    return folder


def member(folder: Path, name: str) -> ProjectHandle:
    return ProjectHandle(folder.resolve(), url=read_team_file(folder).url, author=name)


def test_a_leased_image_is_refused_to_others_and_skipped(project: Path) -> None:
    with member(project, "alice") as alice, member(project, "bob") as bob:
        order = [i.id for i in annotation.list_images(alice)]
        team.hold_image(alice, order[0])
        team.hold_image(alice, order[0])  # renewing one's own lease is fine
        with pytest.raises(team.ImageLeased, match="alice is working on this image"):
            team.hold_image(bob, order[0])
        assert team.next_free_image(bob, order, None) == order[1]
        assert team.next_free_image(bob, order, order[-1]) == order[1]  # wraps, skips
        assert set(team.image_leases(bob)) == {order[0]}
        assert team.release_image(alice, order[0])
        team.hold_image(bob, order[0])


def test_a_lease_runs_out_when_not_renewed(project: Path) -> None:
    with member(project, "alice") as alice, member(project, "bob") as bob:
        image = annotation.list_images(alice)[0].id
        team.hold_image(alice, image, ttl_s=0.5)
        time.sleep(0.8)
        assert team.hold_image(bob, image).holder == "bob"


def test_two_edits_of_one_region_conflict_and_name_the_change(project: Path) -> None:
    with member(project, "alice") as alice, member(project, "bob") as bob:
        image = annotation.list_images(alice)[0].id
        seen_a = annotation.regions_of_image(alice, image)[0]
        seen_b = annotation.regions_of_image(bob, image)[0]
        [saved] = team.edit_regions_checked(
            alice, [seen_a], [(seen_a.id, seen_a.to_region().with_(text="CAT"))]
        )
        assert saved.author == "alice" and saved.version == seen_a.version + 1
        with pytest.raises(team.EditConflict) as err:
            team.edit_regions_checked(
                bob, [seen_b], [(seen_b.id, seen_b.to_region().with_(text="CAR"))]
            )
        msg = str(err.value)
        assert "changed by alice" in msg and "text 'r0:' -> 'CAT'" in msg
        assert "not saved" in msg
        assert err.value.theirs[seen_b.id].text == "CAT"  # bob is shown alice's change
        [now] = [r for r in annotation.regions_of_image(bob, image) if r.id == seen_a.id]
        assert now.text == "CAT" and now.author == "alice"


def test_stages_with_a_reviewer_who_sends_back_with_a_note(project: Path) -> None:
    with member(project, "alice") as alice, member(project, "rita") as rita:
        team.set_reviewer(alice, "rita")
        image = annotation.list_images(alice)[0].id
        with pytest.raises(team.StageError, match="needs it labelled"):
            team.review(rita, image)
        team.submit(alice, image)
        got = annotation.get_image(alice, image)
        assert got.stage == Stage.LABELLED and got.labelled_by == "alice"
        assert got.status == ImageStatus.VERIFIED
        with pytest.raises(team.StageError, match="alice is not a reviewer"):
            team.review(alice, image)
        with pytest.raises(team.StageError, match="needs a note"):
            team.send_back(rita, image, " ")
        team.send_back(rita, image, "the second line is missing")
        got = annotation.get_image(alice, image)
        assert (got.stage, got.stage_note, got.stage_by) == (
            Stage.OPEN,
            "the second line is missing",
            "rita",
        )
        assert got.status != ImageStatus.VERIFIED
        team.submit(alice, image)
        team.review(rita, image)
        team.accept(rita, image)
        assert team.accepted_image_ids(alice) == [image]
        people = team.person_counts(alice)
        assert people["alice"].labelled == 1 and people["rita"].accepted == 1


def test_cli_stage_verbs_and_info(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCRSTUDIO_USER", "alice")
    assert main(["team", "submit", str(project), "photos/p0.png"]) == 0
    monkeypatch.setenv("OCRSTUDIO_USER", "rita")
    assert main(["team", "send-back", str(project), "photos/p0.png", "--note", "fix"]) == 0
    capsys.readouterr()
    assert main(["project", "info", str(project)]) == 0
    out = capsys.readouterr().out
    assert "stages    4 open, 0 labelled" in out, out
    assert "\nalice " in out
    rita = next(line for line in out.splitlines() if line.startswith("rita "))
    assert rita.split()[-1] == "1"  # one image sent back


def test_one_training_run_at_a_time(project: Path) -> None:
    with member(project, "alice") as alice, member(project, "bob") as bob:
        with (
            team.training_lease(alice),
            pytest.raises(team.TrainingBusy, match="alice"),
            team.training_lease(bob),
        ):
            pass
        with team.training_lease(bob):
            pass


def _acks(path: Path) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for line in path.read_text().splitlines():
        rid, token = line.split()
        out[int(rid)].append(token)
    return out


def test_two_member_processes_lose_no_acknowledged_edit(project: Path, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(MEMBER),
                "edit",
                str(project),
                name,
                "60",
                str(seed),
                str(tmp_path / f"{name}.acks"),
                "0.5",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed, name in enumerate(("alice", "bob"))
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in outs]
    acked: dict[int, list[str]] = defaultdict(list)
    for name in ("alice", "bob"):
        for rid, tokens in _acks(tmp_path / f"{name}.acks").items():
            acked[rid].extend(tokens)
    assert sum(len(t) for t in acked.values()) == 120
    with member(project, "check") as h:
        for img in annotation.list_images(h):
            for r in annotation.regions_of_image(h, img.id):
                stored = [t for t in r.text.split(":", 1)[1].split(";") if t]
                assert sorted(stored) == sorted(acked.get(r.id, [])), r.id
    conflicts = sum(int(o.split("conflicts=")[1].split()[0]) for o, _ in outs)
    print("conflicts reported and retried:", conflicts)


def test_a_member_killed_mid_edit_leaves_nothing_and_frees_the_lease(project: Path) -> None:
    with member(project, "alice") as alice:
        image = annotation.list_images(alice)[0].id
        before = annotation.regions_of_image(alice, image)
        proc = subprocess.Popen(
            [sys.executable, str(MEMBER), "hold", str(project), "kim", str(image), "3"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            with pytest.raises(team.ImageLeased, match="kim"):
                team.hold_image(alice, image)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            with pytest.raises(team.ImageLeased, match="kim"):  # held until its time is up
                team.hold_image(alice, image)
            deadline = time.monotonic() + 30
            while True:
                try:
                    team.hold_image(alice, image)
                    break
                except team.ImageLeased:
                    assert time.monotonic() < deadline, "the dead member's lease never ran out"
                    time.sleep(0.5)
        finally:
            if proc.poll() is None:
                proc.kill()
        after = annotation.regions_of_image(alice, image)
        assert after == before  # the uncommitted regions never landed


def test_a_training_job_waits_for_no_one_and_is_refused_while_another_trains(project: Path) -> None:
    from ocrstudio.services.training import TrainJob

    with (
        member(project, "alice") as alice,
        team.training_lease(alice),
        pytest.raises(team.TrainingBusy, match="alice is training"),
    ):
        TrainJob(project=project, arch="crnn_small", config="tiny").run()
    with member(project, "bob") as bob, pytest.raises(Exception) as err:
        TrainJob(project=project, arch="crnn_small", config="tiny").run_in(bob)
    assert not isinstance(err.value, team.TrainingBusy)  # free again: it got to the data
    with member(project, "carol") as carol:
        assert team.all_leases(carol) == []  # the failed run let go of its lease


def test_exports_and_training_can_take_only_accepted_images(project: Path, tmp_path: Path) -> None:
    from ocrstudio.services.training import project_pages

    with member(project, "alice") as alice:
        images = annotation.list_images(alice)
        for img in images:
            team.submit(alice, img.id)
        team.review(alice, images[0].id)
        team.accept(alice, images[0].id)
        split = images[0].split.value
        assert len(project_pages(alice, split)[0]) >= 1
        team.set_accepted_only(alice, True)
        assert project_pages(alice, split)[0] == [images[0].id]
    assert (
        main(
            [
                "export",
                str(project),
                "--format",
                "icdar2015",
                "--out",
                str(tmp_path / "out"),
                "--accepted-only",
            ]
        )
        == 0
    )
    written = sorted(p.name for p in (tmp_path / "out").rglob("*.txt"))
    assert written == [f"gt_{Path(images[0].path).stem}.txt"], written
