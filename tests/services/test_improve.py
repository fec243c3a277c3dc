"""Fine-tuning on a person's labels: the shipped models' card settings reach every path,
a short fine-tune with them does not collapse the models, a shipped name works as a base,
and `improve` keeps a new model only where it is better."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ocrstudio.cli import main as cli_main
from ocrstudio.services.improve import ImproveJob, Scores, keep_better


def scores(det: float, e2e: float, acc: float) -> Scores:
    return Scores(det, e2e, acc, images=10, words=20)


def test_keep_the_better_rule() -> None:
    base = scores(0.5, 0.4, 0.8)
    # the role's own figure up, end to end as before: kept (word accuracy is not the
    # detector's figure)
    assert keep_better("detector", base, scores(0.6, 0.4, 0.1))[0]
    ok, why = keep_better("detector", base, scores(0.6, 0.39, 0.8))
    assert not ok and "end to end fell" in why
    ok, why = keep_better("recognizer", base, scores(0.9, 0.4, 0.8))
    assert not ok and "no gain" in why
    ok, why = keep_better("recognizer", base, scores(0.5, 0.45, 0.79))
    assert not ok and "word_acc fell" in why
    assert keep_better("recognizer", base, scores(0.5, 0.45, 0.8)) == (
        True,
        "word_acc 0.800 -> 0.800, end to end 0.400 -> 0.450: better",
    )


def labelled_folder(root: Path, src: Path, stems: list[str]) -> Path:
    """Photos `stems` of an ICDAR-2015-style folder `src` (images/ + gt/) as a folder of
    their own."""
    (root / "images").mkdir(parents=True)
    (root / "gt").mkdir()
    for stem in stems:
        (root / "images" / f"{stem}.jpg").symlink_to(src / "images" / f"{stem}.jpg")
        shutil.copy(src / "gt" / f"gt_{stem}.txt", root / "gt")
    return root


def icdar_folder(root: Path, shared: Path, numbers: list[int]) -> Path:
    """ICDAR 2015 training photos img_N as a labelled folder."""
    return labelled_folder(root, shared / "icdar2015_train", [f"img_{n}" for n in numbers])


def plates_project(root: Path, shared: Path, names: list[str], test: list[str]) -> Path:
    """A project of plate photos imported as verified labels, `test` ones in the test
    split and the rest in train."""
    from ocrstudio.services import annotation as an
    from ocrstudio.services.image_ops import set_split
    from ocrstudio.services.project import open_project
    from ocrstudio.services.transfer import import_into

    labelled_folder(root, shared / "plates_br", names)
    project = root / "project"
    import_into(project, "icdar2015", root / "images", root / "gt")
    with open_project(project) as handle:
        ids = {im.file.stem: im.id for im in an.list_images(handle)}
        set_split(handle, [ids[n] for n in names if n not in test], "train")
        set_split(handle, [ids[n] for n in test], "test")
    return project


@pytest.mark.slow
@pytest.mark.data
def test_train_takes_a_shipped_model_by_name_with_its_cards_settings(
    tmp_path: Path, shared_data: Path
) -> None:
    """`train --base rec_default` (refused before: "no model weights here") fine-tunes
    with the card's rate, BatchNorm statistics kept; --lr still wins when given."""
    from ocrstudio.engine.card import read_card
    from ocrstudio.services.ocr import resolve_model
    from ocrstudio.training.finetune import settings_for

    data = icdar_folder(tmp_path / "data", shared_data, [1, 2])
    settings = settings_for(read_card(resolve_model("rec_default", "recognizer")))
    out = tmp_path / "ft"
    assert (
        cli_main(
            [
                "train",
                "--base",
                "rec_default",
                "--data",
                str(data),
                "--steps",
                "1",
                "--device",
                "cpu",
                "--no-replay",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    card = read_card(out)
    assert card.training is not None and card.training["fit"]["lr"] == settings.lr
    assert card.fine_tune is not None and card.fine_tune["frozen_bn"] is True
    assert (
        cli_main(
            [
                "train",
                "--base",
                "no_such_model",
                "--data",
                str(data),
                "--steps",
                "1",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )


@pytest.mark.slow
@pytest.mark.data
def test_a_short_fine_tune_with_the_cards_settings_does_not_collapse(
    tmp_path: Path, shared_data: Path
) -> None:
    """The shipped recognizer and detector, fine-tuned through the window's path (a
    project's TrainJob, nothing but the base named) on ten real photos, read a fixed set
    of other photos about as well as before. With the old default (lr 1e-3) the
    recognizer's word accuracy fell to 0.000 within 14 steps."""
    from ocrstudio.services import annotation as an
    from ocrstudio.services.image_ops import set_split
    from ocrstudio.services.ocr import resolve_model
    from ocrstudio.services.project import open_project
    from ocrstudio.services.training import TrainJob
    from ocrstudio.services.transfer import import_into
    from ocrstudio.training.api import evaluate_model, load_folder

    train = icdar_folder(tmp_path / "train", shared_data, list(range(1, 11)))
    fixed = load_folder(icdar_folder(tmp_path / "fixed", shared_data, [10, 20, 30, 40, 50]))
    project = tmp_path / "p"
    import_into(project, "icdar2015", train / "images", train / "gt")
    with open_project(project) as handle:
        set_split(handle, [im.id for im in an.list_images(handle)], "train")
    for role, base, steps, metric, margin in (
        ("recognizer", "rec_default", 12, "word_acc", 0.05),
        ("detector", "det_default", 8, "hmean", 0.08),
    ):
        before = evaluate_model(resolve_model(base, role), fixed, "cpu")[metric]
        res = TrainJob(project, base=base, fit={"steps": steps, "device": "cpu"}).run()
        after = evaluate_model(res.weights, fixed, "cpu")[metric]
        assert after >= before - margin, (role, before, after)


@pytest.mark.slow
@pytest.mark.data
def test_improve_refuses_without_photos_to_judge_by(tmp_path: Path, shared_data: Path) -> None:
    from ocrstudio.core.errors import InputError

    project = plates_project(tmp_path, shared_data, ["br_AYO9034", "br_AZJ6991"], [])
    with pytest.raises(InputError, match="test or val split"):
        ImproveJob(project, 1.0, device="cpu").run()


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.gui
def test_a_bad_run_in_the_window_leaves_the_active_models_and_says_so(
    qtbot, tmp_path: Path, shared_data: Path, monkeypatch
) -> None:
    """Models > Improve with a deliberately bad rate: the new recognizer reads worse on
    the test photos, so it is registered but not made active, and the dialog's table and
    text say so."""
    import ocrstudio.ui.dialogs.improve as improve_ui
    from ocrstudio.services import model_choice as mc
    from ocrstudio.services.project import open_project
    from ocrstudio.ui.main_window import MainWindow
    from ocrstudio.ui.testing import isolated_settings, wait_until

    names = ["br_AYO9034", "br_AZJ6991", "br_FZB9581", "br_NZU2673"]
    project = plates_project(tmp_path, shared_data, names, names[-1:])

    def bad_run(folder, minutes, replay, progress, cancel):  # type: ignore[no-untyped-def]
        # a fixed number of steps: under a time budget alone, a loaded machine would
        # give the bad rate too few steps to do its harm
        job = ImproveJob(
            folder,
            5.0,
            fit={"lr": 5e-3, "steps": 15, "batch_size": 8},
            roles=("recognizer",),
            device="cpu",
        )
        return job.run(progress, cancel)

    monkeypatch.setattr(improve_ui, "improve", bad_run)
    w = MainWindow(isolated_settings(tmp_path))
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(project)
    with open_project(project) as handle:
        before = {r: c.key for r, c in mc.active_models(handle).items() if c}
    d = w.dialogs.improve()
    assert d is not None and w.dialogs.improve() is d  # one dialog: reopened, it shows its run
    worker = d.start()
    assert worker is not None and d.start() is None  # one run at a time
    wait_until(lambda: worker.done, 240)
    assert not w.jobs.last_error, w.jobs.last_error
    assert d.report is not None and not any(o.activated for o in d.report.outcomes)
    (outcome,) = d.report.outcomes
    assert outcome.after.word_acc < outcome.before.word_acc, outcome.why
    assert "NOT made active" in d.status.text() and "unchanged" in d.status.text()
    assert d.table.item(2, 0).text().startswith("Word accuracy (test split, 1 photos)")
    with open_project(project) as handle:
        assert {r: c.key for r, c in mc.active_models(handle).items() if c} == before
        assert any(c.source == "project" for c in mc.model_choices(handle, "recognizer"))


@pytest.mark.slow
@pytest.mark.data
def test_a_cancelled_run_leaves_nothing_behind(
    tmp_path: Path, shared_data: Path, monkeypatch
) -> None:
    """Cancelled while the detector trains, after the recognizer's fine-tune was
    registered: that version and its weights go too, the active models stay. With
    general data given, some of its photos were read first, held out of both fine-tunes
    (the check of what a new model forgot)."""
    import threading

    from ocrstudio.core.errors import CancelledError
    from ocrstudio.services import model_choice as mc
    from ocrstudio.services import replay
    from ocrstudio.services.project import open_project
    from tests.services.test_replay import general_folder

    monkeypatch.setattr(replay, "REPLAY_PHOTOS", 2)
    monkeypatch.setattr(replay, "CHECK_PHOTOS", 2)
    general = general_folder(tmp_path / "general", 4)

    names = ["br_AYO9034", "br_AZJ6991", "br_FZB9581"]
    project = plates_project(tmp_path, shared_data, names, names[-1:])
    cancel, seen = threading.Event(), []

    def progress(p):  # type: ignore[no-untyped-def]
        seen.append(p.message)
        if "fine-tuning the detector" in p.message:
            cancel.set()

    with pytest.raises(CancelledError):
        # fixed steps, a roomy budget: a loaded machine changes nothing here
        ImproveJob(
            project,
            5.0,
            fit={"steps": 3, "batch_size": 4},
            device="cpu",
            replay=(f"{general}@0.5",),
        ).run(progress, cancel)
    assert any("fine-tuning the recognizer" in m for m in seen)
    assert any("reading the general photos held out" in m for m in seen)
    with open_project(project) as handle:
        assert {c.source for c in mc.model_choices(handle)} == {"shipped"}
        assert all(c.source == "shipped" for c in mc.active_models(handle).values() if c)
    assert not any((project / "models").iterdir())


def test_the_detector_is_not_fine_tuned_where_the_box_rules_already_box_the_labels() -> None:
    """With box rules that box (nearly) every label from the base detector's boxes, a
    detector's fine-tune could learn only the photos' other text as background: it is
    skipped, its time goes to the recognizer, and the report says why."""
    from ocrstudio.services.conventions import Study
    from ocrstudio.services.improve import FOUND_ENOUGH, ImproveReport, _Run
    from ocrstudio.training.box_rules import BoxRules

    run = object.__new__(_Run)
    run.job = ImproveJob(Path("p"), 10.0)
    rules = BoxRules(0.5, (0.1, 0.4, 0.2, 0.1))
    run.study = Study({}, None, {}, rules, {}, 0.97)
    roles, skipped = run._roles_to_train()
    assert roles == ("recognizer",) and skipped == (
        "detector: not fine-tuned: with your box rules it already boxes 97% of your labels",
    )
    # the detector trains where it misses labels, or where no box rules explain them
    for study in (Study({}, None, {}, rules, {}, FOUND_ENOUGH - 0.1), Study({}, None, {})):
        run.study = study
        assert run._roles_to_train() == (("recognizer", "detector"), ())
    report = ImproveReport("test", scores(0.5, 0.5, 0.5), (), skipped=skipped)
    assert skipped[0] in report.summary() and "unchanged" in report.summary()
