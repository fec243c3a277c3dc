"""Issue 27.5 and 27.6, in the real window: the training dialog is one for the window's
life and shows the live run whenever it is opened; a second run waits behind another only
when the person queues it, and leaves the queue at once when cancelled; a run that ends
with its dialog closed announces itself, with its figures and a way back; and a run that
nothing validates is said so beforehand, and never offered as the active model."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ocrstudio import store
from ocrstudio.services import training as training_service
from ocrstudio.ui.dialogs.live_run import SHOW_RUN
from ocrstudio.ui.dialogs.training import TrainingDialog
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import wait_until
from tests.support.ui import MakeWindow, training_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    return make_window(training_project(tmp_path))


def _open(w: MainWindow) -> TrainingDialog:
    """Models > Train, as a person opens it, set for a two-step CPU fine-tune."""
    w.actions_["train"].trigger()
    d = w.dialogs.training_dialog
    assert isinstance(d, TrainingDialog) and d.isVisible()
    if not d.running:
        d.select("crnn_small", "tiny-crnn_small")
        d.by_steps.setChecked(True)
        d.length.setValue(2)
        d.batch.setValue(4)
        d.eval_size.setValue(8)
        d.device.setCurrentText("cpu")
    return d


def _answer(button_text: str, seen: list[str]) -> None:
    """Click `button_text` in the modal question about to open (closing it whatever)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            return
        seen.append(box.text())
        chosen = [b for b in box.buttons() if b.text() == button_text]
        (chosen[0].click() if chosen else box.reject())

    QTimer.singleShot(100, click)


def _gate(monkeypatch) -> tuple[threading.Event, list[int]]:  # type: ignore[no-untyped-def]
    """Training holds until the gate opens; calls are counted."""
    gate, calls = threading.Event(), []
    real = training_service.train_model

    def gated(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        gate.wait(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(training_service, "train_model", gated)
    return gate, calls


def test_reopened_dialog_shows_the_live_run_and_its_end_announces_itself(
    window: MainWindow, monkeypatch
) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    w = window
    gate, _calls = _gate(monkeypatch)
    d = _open(w)
    worker = d.start()
    assert worker is not None
    d.close()
    again = _open(w)  # reopened during the run: the run, not an idle form
    assert again is d and d.running
    assert not d.start_button.isEnabled() and d.cancel_button.isEnabled()
    assert "Training" in d.status.text()
    d.close()
    gate.set()
    wait_until(lambda: worker.done, 300)
    assert not w.jobs.last_error, w.jobs.last_error
    boxes = [
        b
        for b in QApplication.topLevelWidgets()
        if isinstance(b, QMessageBox) and b.isVisible() and "Training finished" in b.windowTitle()
    ]
    assert len(boxes) == 1, "a run that ended with its dialog closed said nothing"
    assert d.comparison is not None and d.comparison.text() in boxes[0].text()
    next(b for b in boxes[0].buttons() if b.text() == SHOW_RUN).click()
    assert d.isVisible() and d.activate_button.isEnabled()
    d.close()


def test_a_second_run_queues_only_when_asked_and_leaves_the_queue_at_once(
    window: MainWindow, monkeypatch
) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    w = window
    _gate_open, calls = _gate(monkeypatch)
    release = threading.Event()

    def other_run(_progress, cancel):  # type: ignore[no-untyped-def]
        while not release.wait(0.05) and not cancel.is_set():
            pass

    other = w.jobs.start(other_run, "Improving the models", training=True)
    wait_until(lambda: other.running, 10)
    d = _open(w)
    asked: list[str] = []
    _answer("Not now", asked)
    assert d.start() is None and d.worker is None
    assert asked and "Improving the models" in asked[0]
    assert "Not started" in d.status.text() and d.start_button.isEnabled()
    _answer("Queue it", asked)
    worker = d.start()
    assert worker is not None and worker.queued and len(asked) == 2
    assert "Queued" in d.status.text() and d.cancel_button.isEnabled()
    t0 = time.monotonic()
    d.cancel_button.click()
    wait_until(lambda: worker.done, 5)
    assert time.monotonic() - t0 < 1.0, "cancelling a queued run waited for the run ahead"
    assert "never started" in d.status.text() and d.start_button.isEnabled()
    assert not other.done, "the run ahead was stopped too"
    release.set()
    wait_until(lambda: other.done, 10)
    assert w.pools.training.waitForDone(5000)
    assert not calls, "the cancelled run trained after all"
    d.close()


def test_a_run_nothing_validates_says_so_and_is_not_offered_active(window: MainWindow) -> None:  # noqa: F811
    w = window
    with w.project.write() as s:  # the val split's only photo, and the test one, unchecked
        for im in store.list_images(s):
            if im.split.value in ("val", "test"):
                store.set_image_status(s, im.id, "prelabeled")
    d = _open(w)
    assert d.note.isVisible(), "no warning that nothing validates the run"
    note = d.note.text.text()
    assert "Nothing validates this run" in note and "Verify a photo of the val split" in note
    assert d.note.button.isVisible() and "Hold out 1" in d.note.button.text()
    worker = d.start()
    wait_until(lambda: worker.done, 300)
    assert not w.jobs.last_error, w.jobs.last_error
    assert d.run_result is not None and d.comparison is None
    assert not d.activate_button.isEnabled(), "an unmeasured model offered as active"
    assert "nothing measured it" in d.status.text()
    assert "verify a photo of the val or test split" in d.status.text()
    d.note.button.click()  # the remedy offered: one verified photo held out
    assert not d.note.isVisible()
    with w.project.session() as s:
        val = [
            im
            for im in store.list_images(s)
            if im.split.value == "val" and im.status.value == "verified"
        ]
    assert len(val) == 1
    d.close()
