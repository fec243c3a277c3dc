"""Fine-tuning from the training dialog: the run goes to its own thread, the window keeps
answering (its event-loop heartbeat beats while the run goes; the stall figure is in
benchmarks/bench_gui.py), the new version is registered and can be made active; a failing
run changes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtTest import QTest

from ocrstudio import store
from ocrstudio.services import model_choice as mc
from ocrstudio.services import training as training_service
from ocrstudio.ui.dialogs.training import TrainingDialog
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import Heartbeat, wait_until
from tests.support.ui import MakeWindow, training_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    return make_window(training_project(tmp_path))


def _dialog(w: MainWindow, steps: int) -> TrainingDialog:
    d = TrainingDialog(w.jobs, w.models_panel, w)
    d.select("crnn_small", "tiny-crnn_small")
    d.by_steps.setChecked(True)
    d.length.setValue(steps)
    d.batch.setValue(4)
    d.eval_size.setValue(8)
    d.device.setCurrentText("cpu")
    d.show()
    return d


def test_two_step_finetune_registers_a_version_and_window_stays_responsive(
    window, monkeypatch
) -> None:
    w = window
    d = _dialog(w, steps=2)
    QTest.qWait(300)  # the dialog's own first paint is not the run's
    beat = Heartbeat().start()
    seen: list[int] = []
    real_train = training_service.train_model

    def gated_train(*args, **kwargs):  # type: ignore[no-untyped-def]
        # the run holds until the window has answered ten heartbeats: on the GUI thread
        # they could never come, so the gate would time out; no race with the run's speed
        deadline = time.monotonic() + 30
        while beat.ticks < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(beat.ticks)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(training_service, "train_model", gated_train)
    worker = d.start()
    assert worker is not None and not d.start_button.isEnabled()
    wait_until(lambda: worker.done, 300)
    beat.stop()
    assert not w.jobs.last_error, w.jobs.last_error
    # how long the loop may stall is a timing goal: benchmarks/bench_gui.py (bench_stall)
    assert seen and seen[0] >= 10, "the event loop did not run while the model trained"
    assert d.run_result is not None and d.activate_button.isEnabled()
    with w.project.session() as s:
        versions = {v.name: v for v in store.list_model_versions(s)}
        run = store.get_training_run(s, d.run_result.run_id)
    new = versions[d.run_result.version_name]
    assert new.parent_id == versions["tiny-crnn_small"].id
    assert run.status == "done" and run.result_version_id == new.id
    assert d.plot.steps, "the loss plot received no points"
    assert any(c.name == new.name for c in w.models_panel.choices)
    # defect 3: one figure on one named split with its count, beside the base's
    cmp = d.comparison
    assert cmp is not None and cmp.split == "test" and cmp.count > 0
    assert cmp.base is not None and cmp.metric == "word_acc"
    assert f"{cmp.split} split, {cmp.count} samples" in d.status.text()
    assert ("NOT better" in d.status.text()) == (cmp.new <= cmp.base)
    # a new version is never active for being newest: only when the person chooses it
    assert mc.active_models(w.project)["recognizer"].version_id != new.id
    d.make_active()
    assert mc.active_models(w.project)["recognizer"].version_id == new.id
    assert new.name in w.models_panel.active.text()
    # a second run starts on an empty plot: its steps, each once, none beyond its two
    # (how many of them the plot has drawn when the worker ends is the event loop's timing)
    d.select("crnn_small", "tiny-crnn_small")
    worker = d.start()
    wait_until(lambda: worker.done, 300)
    steps = list(d.plot.steps)
    assert steps and max(steps) <= 2
    assert steps == sorted(set(steps)), "two runs' curves drawn over each other"
    d.close()


def test_dialog_defaults_to_finetuning_the_active_recognizer(window) -> None:
    """Defect 3: not dbnet_resnet18 from scratch, but the active recognizer, CPU-sized."""
    from ocrstudio.ui.dialogs.training import CPU_STEPS

    d = TrainingDialog(window.jobs, window.models_panel, window)
    arch, role = d.arch.currentData()
    assert role == "recognizer" and arch == "crnn_small"
    assert d.base.currentData() is not None and d.base.currentData().name == "tiny-crnn_small"
    assert d.by_steps.isChecked() and d.length.value() == CPU_STEPS
    d.close()


def test_cli_batch_larger_than_the_data_shrinks(tmp_path: Path, caplog) -> None:
    """Defect 3: 8 samples and a batch of 32 train with a note instead of refusing."""
    import logging

    from ocrstudio.cli import main

    words = tmp_path / "words"
    assert main(["synth", "--kind", "words", "--count", "8", "--out", str(words)]) == 0
    with caplog.at_level(logging.WARNING):
        assert (
            main(
                [
                    "train",
                    "--arch",
                    "crnn_small",
                    "--config",
                    "tiny",
                    "--data",
                    str(words),
                    "--steps",
                    "2",
                    "--batch-size",
                    "32",
                    "--device",
                    "cpu",
                    "--out",
                    str(tmp_path / "run"),
                ]
            )
            == 0
        )
    assert "more than the 8 training samples: using 8" in caplog.text


def test_a_failing_run_shows_its_error_and_changes_nothing(window) -> None:
    w = window
    with w.project.write() as s:  # no verified image left in the train split
        for im in store.list_images(s, split="train"):
            store.set_image_status(s, im.id, "prelabeled")
    d = _dialog(w, steps=2)
    worker = d.start()
    wait_until(lambda: worker.done, 120)
    assert d.status.text().startswith("Failed:") and "verified" in d.status.text()
    assert d.run_result is None and not d.activate_button.isEnabled()
    assert d.start_button.isEnabled()
    with w.project.session() as s:
        assert len(store.list_model_versions(s)) == 2  # the two tiny ones, nothing new
    assert sorted(p.name for p in (w.project.folder / "models").iterdir()) == [
        "tiny-crnn_small",
        "tiny-dbnet_mobilenet_v3",
    ]
    d.close()


def test_clip_downloads_only_by_the_persons_choice(window) -> None:
    """Issue 14.10: the dialog's own box is what allows a download, for a new CLIP model
    only; a fine-tune or a model without CLIP never asks for one."""
    d = TrainingDialog(window.jobs, window.models_panel, window)
    d.select("clip4str_base", None)
    assert d.clip_weights.isEnabled() and d.allow_download.isEnabled()
    d.clip_weights.setText("openai")
    assert d.spec().clip_weights == "openai" and d.spec().allow_download is False
    d.allow_download.setChecked(True)
    assert d.spec().allow_download is True
    d.select("crnn_small", "tiny-crnn_small")
    assert not d.allow_download.isEnabled() and not d.clip_weights.isEnabled()
    assert d.spec().allow_download is False and d.spec().clip_weights is None
    d.close()
