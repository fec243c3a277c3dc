"""Pre-labeling writes model proposals with provenance and scores and never overwrites or
duplicates what a person verified or edited; the same from `ocrstudio prelabel`.

The models are the zoo's tiny configs with random weights (the assertions are about the
plumbing); the detector's probability head is biased so it finds one region covering the
whole image, deterministically."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocrstudio import store
from ocrstudio.cli import main as cli_main
from ocrstudio.core.errors import CancelledError
from ocrstudio.core.types import Polygon, Region
from ocrstudio.services import annotation as an
from ocrstudio.services.demo import write_demo_images
from ocrstudio.services.prelabel import PrelabelJob, RecognizeJob, _write_page, restore_images
from ocrstudio.services.project import ProjectHandle, create_project
from tests.support.models import make_tiny_models


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_demo_images(tmp_path / "photos", count=3, verified=0)
    handle = create_project(tmp_path / "proj", tmp_path / "photos")
    a, b, c = (r.id for r in an.list_images(handle))
    an.add_regions(handle, b, [Region(Polygon.from_box(10, 10, 200, 60), "verified")])
    an.set_image_verified(handle, b)
    with handle.write() as s:
        store.write_model_regions(
            s,
            c,
            [
                Region(Polygon.from_box(10, 10, 200, 60), "old", score=0.5, det_score=0.9),
                Region(Polygon.from_box(300, 300, 500, 360), "edit me", score=0.4),
            ],
            "old+model",
        )
    rid = next(r.id for r in an.regions_of_image(handle, c) if r.text == "edit me")
    an.edit_regions(handle, [(rid, Region(Polygon.from_box(300, 300, 500, 360), "fixed"))])
    det, rec = make_tiny_models(handle)
    yield handle, (a, b, c), (det, rec)
    handle.close()


def _view(handle: ProjectHandle, image_id: int) -> list[tuple]:
    return [
        (r.text, r.provenance, r.verified, r.edited) for r in an.regions_of_image(handle, image_id)
    ]


def test_prelabel_job_writes_scored_regions_and_keeps_peoples_work(project) -> None:
    handle, (a, b, c), (det, rec) = project
    verified_before = an.regions_of_image(handle, b)
    report = PrelabelJob(handle.folder, device="cpu").run()
    assert report.images == 2  # the verified image is not even read
    assert report.provenance == f"{det}+{rec}"
    (new,) = an.regions_of_image(handle, a)
    assert (new.provenance, new.edited, new.verified) == (f"{det}+{rec}", False, False)
    assert new.det_score is not None and new.det_score > 0.6 and new.score is not None
    with handle.session() as s:
        rec_version = store.find_model_version(s, rec)
    assert new.model_version_id == rec_version.id
    assert an.get_image(handle, a).status == an.ImageStatus.PRELABELED
    assert an.regions_of_image(handle, b) == verified_before
    # on c: the old proposal is replaced, the person's region stays, and the new
    # whole-image proposal would cover it, so it is left out rather than duplicated
    assert _view(handle, c) == [("fixed", "old+model", False, True)]
    assert report.kept == 1


def test_verified_images_get_only_what_no_person_drew(project) -> None:
    handle, (_a, b, c), _ = project
    image_b = an.get_image(handle, b)
    far = Region(Polygon.from_box(600, 400, 700, 450), "new", score=0.7, det_score=0.8)
    near = Region(Polygon.from_box(12, 12, 198, 58), "dup", score=0.7, det_score=0.8)
    assert _write_page(handle, image_b, [far, near], "m", None) == (1, 1, True)
    assert [r[0] for r in _view(handle, b)] == ["verified", "new"]
    assert an.get_image(handle, b).status == an.ImageStatus.PRELABELED  # to be looked at
    image_c = an.get_image(handle, c)
    assert _write_page(handle, image_c, [far], "m", None) == (1, 0, False)
    assert sorted(r[0] for r in _view(handle, c)) == ["fixed", "new"]


def test_recognize_job_reads_model_and_empty_regions_only(project) -> None:
    handle, (a, _b, c), _ = project
    an.add_regions(
        handle,
        a,
        [
            Region(Polygon.from_box(10, 10, 100, 40), ""),
            Region(Polygon.from_box(10, 100, 100, 140), "mine"),
        ],
    )
    report = RecognizeJob(handle.folder, a, device="cpu").run()
    assert (report.regions, report.skipped) == (1, 1)
    by_pos = {r.polygon.bounds[1]: r for r in an.regions_of_image(handle, a)}
    assert by_pos[10].score is not None and by_pos[10].edited  # filled in, still a person's
    assert by_pos[100].text == "mine" and by_pos[100].score is None
    restore_images(handle, report.before)
    assert {r.polygon.bounds[1]: r.text for r in an.regions_of_image(handle, a)} == {
        10: "",
        100: "mine",
    }
    report = RecognizeJob(handle.folder, c, device="cpu").run()
    assert (report.regions, report.skipped) == (1, 1)  # the model's "old", not "fixed"
    texts = {r.provenance: r.text for r in an.regions_of_image(handle, c)}
    assert texts["old+model"] == "fixed" and "tiny-crnn_small" in texts


def test_cancel_and_cli(project, capsys) -> None:
    handle, (a, _b, _c), (det, rec) = project

    class Cancelled:
        def is_set(self) -> bool:
            return True

    with pytest.raises(CancelledError):
        PrelabelJob(handle.folder, device="cpu").run(cancel=Cancelled())
    assert an.regions_of_image(handle, a) == []
    code = cli_main(
        [
            "prelabel",
            str(handle.folder),
            "--det",
            det,
            "--rec",
            rec,
            "--device",
            "cpu",
            "--format",
            "json",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("{") and '"images": 2' in out[-1]
    assert cli_main(["prelabel", str(handle.folder), "--det", "no-such-model"]) == 2


def test_a_new_project_prelabels_with_the_shipped_defaults(tmp_path) -> None:
    """What `ocrstudio ocr` reads with is what a new project's pre-labeling uses (the
    first shipped recognizer by name was the old rec_crnn_g2)."""
    from ocrstudio.services.model_choice import active_models
    from ocrstudio.services.ocr import resolve_model
    from ocrstudio.services.project import create_project, open_project

    create_project(tmp_path / "p")
    with open_project(tmp_path / "p") as handle:
        active = active_models(handle)
    for role in ("detector", "recognizer"):
        choice = active[role]
        assert choice is not None and choice.weights.parent == resolve_model(None, role), role


def test_a_truncated_photo_is_skipped_and_named_the_others_get_proposals(project, capsys) -> None:
    """Issue #25, class 7: import reads only a JPEG's header, so a truncated photo stopped
    pre-labeling of the whole project on every run."""
    handle, (a, b, c), _ = project
    broken = an.get_image(handle, a).file
    broken.write_bytes(broken.read_bytes()[:200])
    report = PrelabelJob(handle.folder, device="cpu").run()
    assert report.images == 1 and len(report.left_out) == 1  # c was read
    assert broken.name in report.left_out[0]
    assert an.regions_of_image(handle, a) == []
    assert cli_main(["prelabel", str(handle.folder), "--device", "cpu"]) == 0
    assert f"left out: {broken}" in capsys.readouterr().err


def test_a_photo_changed_on_disk_is_left_out_not_labelled_in_another_frame(project) -> None:
    """Issue #25, class 8: a photo shrunk after import kept its old size in the database
    while new proposals came in the new frame; exports then wrote mismatched sizes."""
    from PIL import Image

    handle, (a, b, c), _ = project
    image = an.get_image(handle, a)
    Image.open(image.file).resize((image.width // 2, image.height // 2)).save(image.file)
    report = PrelabelJob(handle.folder, device="cpu").run()
    assert report.images == 1 and len(report.left_out) == 1
    assert "changed on disk" in report.left_out[0] and image.file.name in report.left_out[0]
    assert an.regions_of_image(handle, a) == []
    assert an.get_image(handle, a).width == image.width  # nothing half-changed


def test_prelabel_all_says_which_verified_images_it_reopens(project, capsys) -> None:
    """Issue #25, class 3: `prelabel --all` turned verified photos back to pre-labeled
    without a word, and `export --verified-only` then exported nothing."""
    handle, (a, b, c), _ = project
    an.set_image_verified(handle, a)  # a: verified, no regions; b: verified, one region
    assert cli_main(["prelabel", str(handle.folder), "--all", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    reopened = [
        im
        for im in an.list_images(handle)
        if im.id in (a, b) and im.status == an.ImageStatus.PRELABELED
    ]
    assert reopened, "the tiny detector's whole-image box overlaps nothing on a"
    assert f"{len(reopened)} verified image(s) got new proposals and are pre-labeled again" in out
    assert all(im.path in out for im in reopened)
    assert [r.text for r in an.regions_of_image(handle, b) if r.verified] == ["verified"]
