"""Pre-labeling and re-recognition from the window: the service jobs run in the jobs pool
(never behind a training run), show in the jobs bar with a cancel button, and reload what
they changed. A job on the open image is pushed on the undo stack when it ends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrstudio.services.prelabel import (
    PrelabelJob,
    PrelabelReport,
    RecognizeJob,
    snapshot_image,
)
from ocrstudio.ui.commands import JobResult
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from ocrstudio.ui.controllers import Jobs


def start_prelabel(jobs: Jobs, current_only: bool, device: str = "auto") -> Worker | None:
    ed = jobs.window.editor
    if jobs.project is None or (current_only and ed.image is None):
        return None
    ids = (ed.image.id,) if current_only and ed.image is not None else None
    job = PrelabelJob(jobs.project.folder, image_ids=ids, device=device)
    title = "Pre-labeling this image" if current_only else "Pre-labeling"
    return jobs.start(job.run, title, lambda r: _done(jobs, r, "Pre-label image", job.project))


def start_rerecognize(jobs: Jobs, device: str = "auto") -> Worker | None:
    ed = jobs.window.editor
    if jobs.project is None or ed.image is None:
        return None
    sel = tuple(ed.canvas.selected_ids()) or None
    job = RecognizeJob(jobs.project.folder, ed.image.id, sel, device=device)
    what = f"{len(sel)} region(s)" if sel else "all regions"
    return jobs.start(job.run, f"Re-recognising {what}",
                      lambda r: _done(jobs, r, "Re-recognise", job.project))


def _done(jobs: Jobs, report: PrelabelReport, text: str, folder: Path) -> None:
    ed = jobs.window.editor
    if jobs.project is None or jobs.project.folder != folder:
        return  # the project was closed meanwhile: nothing on screen to update
    jobs.reload_all(clear_undo=not report.before)  # many images: not undoable
    if report.before and ed.project is not None:
        after: dict[int, Any] = {i: snapshot_image(ed.project, i) for i in report.before}
        ed.undo_stack.push(JobResult(ed, dict(report.before), after, text))
    msg = f"{report.images} image(s), {report.regions} region(s) by {report.provenance}"
    if report.kept:
        msg += f"; {report.kept} proposal(s) left out where a person's region is"
    if report.skipped:
        msg += f"; {report.skipped} region(s) of a person left alone"
    jobs.window.statusBar().showMessage(msg, 10000)
    jobs.last_message = msg
