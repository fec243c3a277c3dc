"""The training run the dialog starts, as plain data and functions (no Qt here).

The run happens in the training pool's thread. A child process was tried (spawned, with
progress over a queue) and measured worse on the 2-core machine: the fork of the large GUI
process and the child's CPU use stalled the event loop for up to ~480 ms, against ~110 ms
in a thread; so the thread it is. torch is imported in that thread, never in the GUI's.

After the run the base model is scored on the same split as the new one, so the dialog
shows before and after side by side, on one named split with its count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio.services.jobs import JobProgress, JobProgressCallback

MAIN_METRIC = {"recognizer": "word_acc", "detector": "hmean"}


@dataclass(frozen=True)
class TrainSpec:
    """What the training dialog asks for."""

    project: Path
    arch: str
    config: str = "tiny"
    base: str | None = None
    fit: dict[str, Any] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    base_weights: Path | None = None  # scored on the same split afterwards
    clip_weights: str | None = None  # a new CLIP model's weights: a file or open_clip tag
    allow_download: bool = False  # the person's own choice, never a model file's


@dataclass(frozen=True)
class Comparison:
    """The new model and its base on one split: `metric` on `count` samples."""

    split: str
    metric: str
    count: int
    new: float
    base: float | None

    @property
    def better(self) -> bool:
        return self.base is None or self.new > self.base

    def text(self) -> str:
        where = f"{self.split} split, {self.count} samples"
        if self.base is None:
            return f"{self.metric} {self.new:.3f} ({where}; trained from scratch)"
        verdict = (
            "better than the base"
            if self.new > self.base
            else "NOT better than the base: keep the base active"
        )
        return f"{self.metric}: base {self.base:.3f} → new {self.new:.3f} ({where}); {verdict}"


@dataclass(frozen=True)
class Trained:
    result: Any  # services.training.TrainResult
    comparison: Comparison | None


@dataclass(frozen=True)
class TrainRun:
    """`train(spec)` as a job for the training pool (called with its progress and cancel)."""

    spec: TrainSpec

    def __call__(self, progress: JobProgressCallback, cancel: Any) -> Trained:
        return train(self.spec, progress, cancel)


def train(spec: TrainSpec, progress: JobProgressCallback, cancel: Any) -> Trained:
    """Run the project's training job (`services.training.TrainJob`) for `spec`; each of
    fit's reports goes out as the `detail` of a `JobProgress` counting steps."""
    from ocrstudio.services.training import ClipChoice, TrainJob

    def report(p: Any) -> None:
        loss = f"loss {p.loss:.4f}" if p.loss is not None else ""
        progress(JobProgress(p.step, p.total_steps, loss, p.samples_per_s or None, detail=p))

    job = TrainJob(
        spec.project,
        arch=spec.arch,
        config=spec.config,
        base=spec.base,
        fit=dict(spec.fit),
        extra=spec.extra,
        clip=ClipChoice(spec.clip_weights, spec.allow_download),
    )
    result = job.run(report, cancel)
    return Trained(result, compare(spec, result))


def compare(spec: TrainSpec, result: Any) -> Comparison | None:
    """The new model's figure on the split it was scored on, and the base's there."""
    from ocrstudio.services.project import open_project
    from ocrstudio.services.training import evaluate_model, project_pages, role_of

    metric = MAIN_METRIC.get(role_of(spec.arch), "")
    new = result.metrics.get(metric)
    if new is None:
        return None
    split = str(result.metrics.get("split", "val"))
    base = None
    if spec.base_weights is not None:
        with open_project(spec.project) as handle:
            _, pages = project_pages(handle, split)
        if pages:
            device = str(spec.fit.get("device", "auto"))
            base = evaluate_model(spec.base_weights, pages, device).get(metric)
    count = int(result.metrics.get("count", 0) or 0)
    return Comparison(split, metric, count, float(new), None if base is None else float(base))
