"""Pre-labeling and re-recognition from the window: the service jobs run in the jobs pool
(never behind a training run), show in the jobs bar with a cancel button and the photos
per second, and update the image list as each batch lands. A job on the open image is
pushed on the undo stack when it ends. The window runs the `fast` preset on a CPU (the
setting `prelabel_preset`), with the models loaded once per session."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ocrstudio.services import annotation as an
from ocrstudio.services.jobs import JobProgress
from ocrstudio.services.prelabel import (
    PrelabelJob,
    PrelabelReport,
    RecognizeJob,
    snapshot_image,
)
from ocrstudio.ui.commands import JobResult
from ocrstudio.ui.workers import Worker

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from ocrstudio.services.ocr import PredictorCache, Preset
    from ocrstudio.services.project import ProjectHandle
    from ocrstudio.ui.editor import Editor
    from ocrstudio.ui.jobs import JobRunner


class Jobs(Protocol):
    """The parts of `controllers.Jobs` these functions use (a Protocol, so this module
    and the controllers do not import each other)."""

    project: ProjectHandle | None
    predictors: PredictorCache
    editor: Editor
    settings: QSettings
    runner: JobRunner

    def start(
        self, job: Any, title: str, on_done: Any = None, training: bool = False
    ) -> Worker: ...

    def reload_all(self, clear_undo: bool = False) -> None: ...


PRESET_KEY = "prelabel_preset"
CHECK_KEY = "prelabel_check"  # the "Check unsure boxes" action


def preset(jobs: Jobs) -> Preset:
    value = str(jobs.settings.value(PRESET_KEY, "fast"))
    return "accurate" if value == "accurate" else "fast"


def keep_all(jobs: Jobs) -> bool:
    """Pre-labeling without the recognizer's check (the action unchecked)."""
    return not jobs.settings.value(CHECK_KEY, True, type=bool)


def start_prelabel(
    jobs: Jobs, current_only: bool, only_new: bool = True, device: str = "auto"
) -> Worker | None:
    """The open image, or the images never pre-labeled (`only_new`), or every image not
    verified (done again)."""
    ed = jobs.editor
    if jobs.project is None or (current_only and ed.image is None):
        return None
    ids = (ed.image.id,) if current_only and ed.image is not None else None
    job = PrelabelJob(
        jobs.project.folder,
        image_ids=ids,
        device=device,
        only_new=only_new and not current_only,
        preset=preset(jobs),
        keep_all=keep_all(jobs),
        predictors=jobs.predictors,
    )
    title = (
        "Pre-labeling this image"
        if current_only
        else "Pre-labeling new images"
        if only_new
        else "Pre-labeling again"
    )
    worker = jobs.start(
        job.run, title, lambda r: prelabel_done(jobs, r, "Pre-label image", job.project)
    )
    worker.progress_reported.connect(lambda p: on_landed(jobs, p, job.project))
    return worker


def start_rerecognize(
    jobs: Jobs, device: str = "auto", region_ids: tuple[int, ...] = (), undoable: bool = True
) -> Worker | None:
    """Read the given regions again (default: the selected ones, else all of the image).
    A region just drawn is read with `undoable=False`: undoing the drawing is enough."""
    ed = jobs.editor
    if jobs.project is None or ed.image is None:
        return None
    sel = tuple(region_ids or ed.canvas.selected_ids()) or None
    # regions the person selected are read even where they are theirs: they asked
    job = RecognizeJob(
        jobs.project.folder,
        ed.image.id,
        sel,
        device=device,
        preset=preset(jobs),
        asked=undoable and sel is not None,
        predictors=jobs.predictors,
    )
    what = f"{len(sel)} region(s)" if sel else "all regions"
    text = "Re-recognise" if undoable else ""
    return jobs.start(
        job.run, f"Reading {what}", lambda r: prelabel_done(jobs, r, text, job.project)
    )


def on_landed(jobs: Jobs, p: JobProgress, folder: Path) -> None:
    """A batch was written: its rows in the list, and the open image if it is one."""
    ed = jobs.editor
    if not p.landed or jobs.project is None or jobs.project.folder != folder:
        return
    for image_id in p.landed:
        rec = an.get_image(jobs.project, image_id)
        if rec is not None:
            ed.images.set_record(rec)
    if ed.image is not None and ed.image.id in p.landed:
        ed.refresh_image(ed.image.id, ed.canvas.selected_ids())


def prelabel_done(jobs: Jobs, report: PrelabelReport, text: str, folder: Path) -> None:
    ed = jobs.editor
    if jobs.project is None or jobs.project.folder != folder:
        return  # the project was closed meanwhile: nothing on screen to update
    keep_undo = bool(report.before) and bool(text)
    jobs.reload_all(clear_undo=not report.before)  # many images: not undoable
    if keep_undo and ed.project is not None:
        after: dict[int, Any] = {i: snapshot_image(ed.project, i) for i in report.before}
        ed.undo_stack.push(JobResult(ed, dict(report.before), after, text))
    msg = f"{report.images} image(s), {report.regions} region(s) by {report.provenance}"
    if report.per_s:
        msg += f" at {report.per_s:.2f} photos/s"
    if report.kept:
        msg += f"; {report.kept} proposal(s) left out where a person's region is"
    if report.skipped:
        msg += f"; {report.skipped} region(s) of a person left alone"
    if report.reopened:
        msg += (
            f"; {len(report.reopened)} verified image(s) got new proposals and are "
            "pre-labeled again: verify them again"
        )
    if report.left_out:
        msg += f"; {len(report.left_out)} image(s) left out: " + "; ".join(report.left_out[:3])
    jobs.runner.notify(msg)
