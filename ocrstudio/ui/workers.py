"""Run Qt-free service jobs (`run(progress, cancel) -> result`, `services.jobs`) in Qt
thread pools. This is the window's one pattern for work off the GUI thread: long jobs,
thumbnail reads and the editor's read-ahead are all `Worker`s.

In the manner of superqt's `_qthreading.py`: a QRunnable holds a QObject of signals (a
QRunnable cannot own signals itself), signals are named after what happened, and stopping is
cooperative: `cancel()` sets a flag the job polls every batch. Progress is a typed
`JobProgress`; results and errors cross to the GUI thread only as signal payloads.

Two pools: training gets its own single thread so a pre-labeling or thumbnail job never
waits behind a fine-tune that runs for minutes, and the fine-tune never takes two cores.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ocrstudio.core.errors import CancelledError, OcrStudioError
from ocrstudio.services.jobs import JobProgress, JobProgressCallback

log = logging.getLogger(__name__)

# The fewest milliseconds between two progress signals: a job that reports every batch
# must not flood the GUI's event queue (the last report is always delivered).
PROGRESS_INTERVAL_S = 0.05


class CancelFlag(threading.Event):
    """The cancel token handed to a job: `cancel.is_set()` or simply `cancel()`."""

    def __call__(self) -> bool:
        return self.is_set()


Job = Callable[[JobProgressCallback, "CancelFlag"], Any]


class JobSignals(QObject):
    started_running = Signal()
    progress_reported = Signal(object)  # JobProgress
    finished_ok = Signal(object)
    failed = Signal(str, str)  # the message a person reads, the traceback for the log
    cancelled = Signal()
    ended = Signal()  # after any of the three above


class Worker(QRunnable):
    """One job run once. Connect to `worker.signals.*` (or the shortcuts) before `start`."""

    def __init__(self, job: Job, name: str = ""):
        super().__init__()
        self.setAutoDelete(False)  # the GUI keeps a reference until `ended`
        self.job = job
        self.name = name or getattr(job, "__name__", "job")
        self.signals = JobSignals()
        self.cancel_flag = CancelFlag()
        self._last_emit = 0.0
        self._pending: JobProgress | None = None
        self._lock = threading.Lock()
        self.running = False
        self.done = False  # set in the GUI thread, after every other slot of the run ran
        self.pool: QThreadPool | None = None  # where it waits its turn, once started
        self.training = False
        self.signals.ended.connect(self._mark_done)

    def _mark_done(self) -> None:
        self.done = True

    # Shortcuts so callers write worker.finished_ok.connect(...)
    @property
    def progress_reported(self) -> Any:
        return self.signals.progress_reported

    @property
    def finished_ok(self) -> Any:
        return self.signals.finished_ok

    @property
    def failed(self) -> Any:
        return self.signals.failed

    @property
    def cancelled(self) -> Any:
        return self.signals.cancelled

    @property
    def ended(self) -> Any:
        return self.signals.ended

    @property
    def queued(self) -> bool:
        """Started, waiting for its pool's thread (behind another training run)."""
        return self.pool is not None and not self.running and not self.done

    def cancel(self) -> None:
        """Stop at the job's next check; a job still waiting in its pool is taken out at
        once and says so (it would otherwise wait out the run ahead before noticing)."""
        self.cancel_flag.set()
        if self.queued and self.pool is not None and self.pool.tryTake(self):
            self.signals.cancelled.emit()
            self.signals.ended.emit()

    def _report(self, payload: JobProgress) -> None:
        """The job's progress callback (at most one signal per PROGRESS_INTERVAL_S; one
        saying what `landed` is never dropped, since the window shows it)."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_emit < PROGRESS_INTERVAL_S and not payload.landed:
                self._pending = payload
                return
            self._last_emit = now
            self._pending = None
        self.signals.progress_reported.emit(payload)

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self.signals.progress_reported.emit(pending)

    def run(self) -> None:  # called by QThreadPool in its thread
        self.running = True
        self.signals.started_running.emit()
        try:
            result = self.job(self._report, self.cancel_flag)
            self._flush()
            if self.cancel_flag.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.finished_ok.emit(result)
        except CancelledError:
            self.signals.cancelled.emit()
        except OcrStudioError as exc:  # the input's fault: the message is enough
            self.signals.failed.emit(str(exc), "")
        except Exception as exc:  # a bug: keep the traceback for the log and the dialog
            tb = traceback.format_exc()
            log.error("job %s failed:\n%s", self.name, tb)
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}", tb)
        finally:
            self.running = False
            self.signals.ended.emit()


class WorkerPools:
    """The application's pools: one thread for training, two for jobs (pre-labeling,
    import, export), one for thumbnails (scrolling through 10,000 images must not queue
    a pre-labeling job behind thousands of thumbnail reads)."""

    def __init__(self) -> None:
        self.training = QThreadPool()
        self.training.setMaxThreadCount(1)
        self.jobs = QThreadPool()
        self.jobs.setMaxThreadCount(2)
        self.thumbnails = QThreadPool()
        self.thumbnails.setMaxThreadCount(1)
        self._live: set[Worker] = set()

    def start(self, worker: Worker, training: bool = False) -> Worker:
        self._live.add(worker)
        worker.signals.ended.connect(lambda w=worker: self._live.discard(w))
        worker.pool, worker.training = (self.training if training else self.jobs), training
        worker.pool.start(worker)
        return worker

    def active(self) -> list[Worker]:
        return [w for w in self._live if not w.done]

    def training_runs(self) -> list[Worker]:
        """Runs of the training pool not ended yet: the one running, then those queued."""
        return sorted((w for w in self.active() if w.training), key=lambda w: not w.running)

    def shutdown(self, wait_ms: int = 10_000) -> bool:
        """Ask every job to stop and wait for them (closing the window)."""
        for w in list(self._live):
            w.cancel()
        self.thumbnails.clear()  # queued thumbnail reads are simply dropped
        ok = self.jobs.waitForDone(wait_ms) and self.thumbnails.waitForDone(wait_ms)
        return self.training.waitForDone(wait_ms) and ok
