""" "Improve the models on my labels" (Qt-free): one job that fine-tunes the project's
detector and recognizer on its verified photos within a time budget, scores base and new
on the project's test split, and makes a new model active only where it is better.

The steps, each reported through `progress` with the time left:
1. the active pair is scored on the test split (the val split when the test split has no
   verified photo; with neither, nothing could show a new model is better: refused);
2. the recognizer, then the detector, are fine-tuned by `services.training.TrainJob`: the
   one fine-tuning path, with the base card's settings and replayed general data, each
   for its card's share (`FineTune.time_share`) of the training time (the recognizer is
   replayed the general photos as the base detector cuts them, `services.replay`, as it
   was trained); text the base pair reads where the person drew nothing is don't-care
   for the detector (`services.conventions`), so it does not learn that such text is no
   text;
3. each new model is scored with the other role's base model, and both together;
4. `keep_better` decides per role: the role's own figure and end to end must both be at
   least the base's and one of them higher; where the person gave general data to keep,
   the new model must also read photos of it held out of both fine-tunes no more than a
   point worse end to end (`services.forgetting`). A new model that is not better stays
   registered (its figures beside it) but is not made active; a run that made things
   worse leaves the active models as they were. A failed or cancelled run leaves no
   weights behind (TrainJob's rule) and changes nothing active;
5. the convention of which found regions the person keeps is learned as the project's
   keep filter where it reads the judging split better (`services.conventions`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio.core.cancel import CancelToken, check_cancel
from ocrstudio.core.errors import InputError
from ocrstudio.core.types import Role
from ocrstudio.services.conventions import (
    Study,
    choose_conventions,
    study_labels,
)
from ocrstudio.services.forgetting import GeneralCheck
from ocrstudio.services.improve_report import ImproveReport, Outcome
from ocrstudio.services.jobs import JobProgress, JobProgressCallback
from ocrstudio.services.model_choice import (
    ModelChoice,
    conventions_of,
    find_choice,
    set_active_model,
)
from ocrstudio.services.ocr import PredictorCache, Preset
from ocrstudio.services.prelabel import choose_models
from ocrstudio.services.project import ProjectHandle, open_project
from ocrstudio.services.replay import detected_replay, hold_out
from ocrstudio.services.scoring import (
    OWN_METRIC,
    Reading,
    Scores,
    keep_better,
    read_labelled,
    score_pair,
    scores_of,
)
from ocrstudio.services.team import training_lease
from ocrstudio.services.training import TrainJob, project_pages

__all__ = [
    "OWN_METRIC",
    "ImproveJob",
    "ImproveReport",
    "Outcome",
    "Scores",
    "keep_better",
    "score_pair",
]
ROLE_ORDER: tuple[Role, ...] = ("recognizer", "detector")
# Kept back from the budget for what follows the fine-tunes: each new model's first
# scoring (`SCORE_MARGIN` times the base pair's, plus its export for the `fast` preset)
# and the last fine-tune's work outside its loop (its last evaluation, saving, registering)
SCORE_MARGIN = 1.3
# the share of the person's labels the base detector (with the box rules) boxes, from
# which the detector is not fine-tuned (`_Run._roles_to_train`)
FOUND_ENOUGH = 0.95
EXPORT_RESERVE = 10.0
FIT_OVERHEAD = 25.0
EVAL_STEPS = 25  # training steps between evaluations on the val split
STUDY_SHARE = 0.15  # of the budget, at most, for reading the person's labelled photos


@dataclass(frozen=True)
class ImproveJob:
    """Fine-tune the project's active (or the named) detector and recognizer on its
    verified photos within `minutes`, keeping each new model only where it is better.
    `fit`: explicit FitConfig fields for both fine-tunes (the cards' settings otherwise).
    `replay`: general labelled data (`ocrstudio train --data` specs, `SPEC@W`) mixed into
    both fine-tunes beside what the cards replay, so the models keep reading what the
    person does not label here: a detector fine-tuned to find only licence plates forgets
    street text unless it also sees street photos with their text labelled."""

    project: Path
    minutes: float = 10.0
    det: str | None = None
    rec: str | None = None
    fit: dict[str, Any] = field(default_factory=dict)
    roles: tuple[Role, ...] = ROLE_ORDER
    device: str = "auto"
    preset: Preset = "fast"
    replay: tuple[str, ...] = ()
    # the pairs read while judging (the base pair is read three times); a cache of its
    # own unless given: the candidates would push the window's labelling models out
    predictors: PredictorCache = field(default_factory=PredictorCache, compare=False, repr=False)

    def run(
        self, progress: JobProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> ImproveReport:
        if not 0 < self.minutes <= 24 * 60:
            raise InputError(
                f"the time budget must lie between 0 and 1440 minutes, not {self.minutes}"
            )
        with open_project(self.project) as handle, training_lease(handle):
            return _Run(self, handle, progress, cancel).run()


class _Run:
    def __init__(
        self,
        job: ImproveJob,
        handle: ProjectHandle,
        progress: JobProgressCallback | None,
        cancel: CancelToken | None,
    ):
        self.job, self.handle, self.progress, self.cancel = job, handle, progress, cancel
        self.start = time.monotonic()
        self.deadline = self.start + job.minutes * 60
        det, rec = choose_models(handle, job.det, job.rec)
        self.base: dict[str, ModelChoice] = {"detector": det, "recognizer": rec}
        self.made: list[ModelChoice] = []  # versions this run registered
        self.study = Study({}, None, {})  # the person's ways (`services.conventions`)
        self.filter_reserve = 0.0
        # the general photos as the recognizer is replayed them (`services.replay`), and
        # as the detector is (less the photos held out to check what the models forgot)
        self.rec_replay: tuple[str, ...] = job.replay
        self.det_replay: tuple[str, ...] = job.replay
        self.general: GeneralCheck | None = None

    def say(self, message: str, detail: Any = None) -> None:
        if self.progress is None:
            return
        budget = self.job.minutes * 60
        spent = min(budget, time.monotonic() - self.start)
        left = max(0.0, self.deadline - time.monotonic())
        self.progress(
            JobProgress(
                int(spent), int(budget), f"{message} · {left / 60:.1f} min left", detail=detail
            )
        )

    def run(self) -> ImproveReport:
        split, pages = self._judge_pages()
        train = project_pages(self.handle, "train")[1]
        if not train:
            raise InputError(
                "no verified images in the train split to learn from: verify some photos first",
                self.handle.folder,
            )
        self.say(f"scoring the active models on the {split} split ({len(pages)} photos)")
        t0 = time.monotonic()
        reading = self._read(pages, {})
        scoring = time.monotonic() - t0
        # the keep filter's reading of the train photos, kept back from the budget
        self.filter_reserve = min(
            SCORE_MARGIN * scoring * len(train) / max(len(pages), 1),
            STUDY_SHARE * self.job.minutes * 60,
        )
        self.say("reading your labelled photos: what you leave out, how you write")
        self.study = study_labels(
            self.handle,
            self.base["detector"],
            self.base["recognizer"],
            self.job.device,
            self.job.preset,
            STUDY_SHARE * self.job.minutes * 60,
            predictors=self.job.predictors,
        )
        with tempfile.TemporaryDirectory(prefix="ocrstudio-replay-") as cut:
            if self.job.replay:
                self.say("reading the general photos held out of the fine-tunes")
                held, self.det_replay = hold_out(self.job.replay, Path(cut))
                self.general = GeneralCheck.start(held, self._read_pages)
            if self.job.replay and "recognizer" in self.job.roles:
                self.say("cutting the general photos as the detector does")
                self.rec_replay = detected_replay(
                    self.job.replay,
                    self.base["detector"].weights,
                    self.base["recognizer"].weights,
                    Path(cut),
                    self.job.predictors,
                    self.job.device,
                    self.job.preset,
                )
            try:
                return self._improve(split, pages, reading, scoring)
            except BaseException:  # cancelled or failed: nothing of this run stays
                self._forget(self.made)
                raise

    def _improve(
        self, split: str, pages: Sequence[Any], reading: Reading, scoring: float
    ) -> ImproveReport:
        """Train, judge each new model against the base (no keep filter: the models' own
        figures), make the better ones active, then choose the keep filter."""
        current = conventions_of(self.handle)
        # each role is judged with the person's way of writing and boxing
        rules, boxes = self.study.rules, self.study.boxes
        before = scores_of(pages, reading, rules=rules, boxes=boxes)
        roles, skipped = self._roles_to_train()
        new = self._train_all(scoring, roles)
        outcomes, readings = [], {}
        for role, choice in new.items():
            check_cancel(self.cancel, "cancelled; the active models are unchanged")
            self.say(f"scoring the new {role}")
            readings[role] = self._read(pages, {role: choice})
            after = scores_of(pages, readings[role], rules=rules, boxes=boxes)
            ok, why = keep_better(role, before, after)
            if ok and self.general is not None:
                self.say(f"reading the general photos with the new {role}")
                ok, forgot = self.general.judge(self._read_pages, {role: choice})
                why = f"{why}; {forgot}"
            outcomes.append(
                Outcome(
                    role,
                    self.base[role].name,
                    choice.name,
                    choice.version_id or 0,
                    before,
                    after,
                    ok,
                    why,
                )
            )
        both = None
        kept = [o for o in outcomes if o.activated]
        if len(kept) == 2:
            self.say("scoring both new models together")
            readings["both"] = self._read(pages, {o.role: new[o.role] for o in kept})
            both = scores_of(pages, readings["both"], rules=rules, boxes=boxes)
            # the general photos are read only when the pair beats each new model alone
            if both.e2e_hmean < max(o.after.e2e_hmean for o in kept) or (
                self.general is not None and not self.general.judge(self._read_pages, new)[0]
            ):
                kept, outcomes = self._one_of(kept, outcomes)
                both = None
        self._record(outcomes, split)
        for o in kept:
            set_active_model(self.handle, o.role, f"version:{o.version_id}")
        final = {o.role: new[o.role] for o in kept}
        judged = readings["both" if both is not None else kept[0].role] if kept else reading
        self.say("learning which regions you keep")
        keep = choose_conventions(
            self.handle,
            self._pair(final),
            pages,
            judged,
            current,
            rules,
            self.job.device,
            self.job.preset,
            self.filter_reserve,
            predictors=self.job.predictors,
            boxes=boxes,
        )
        return ImproveReport(
            split,
            scores_of(pages, reading, current.active, current.active_rules, current.active_boxes),
            tuple(outcomes),
            both,
            time.monotonic() - self.start,
            keep,
            skipped,
        )

    @staticmethod
    def _one_of(
        kept: list[Outcome], outcomes: list[Outcome]
    ) -> tuple[list[Outcome], list[Outcome]]:
        """Both new models are better alone but worse together: keep the one whose end to
        end gained most."""
        best = max(kept, key=lambda o: o.after.e2e_hmean)
        out = [
            o
            if o is best or not o.activated
            else Outcome(
                o.role,
                o.base,
                o.new,
                o.version_id,
                o.before,
                o.after,
                False,
                f"{o.why}, but worse together with the new {best.role}",
            )
            for o in outcomes
        ]
        return [best], out

    def _record(self, outcomes: Sequence[Outcome], split: str) -> None:
        """Each new version keeps the figures that judged it, and the verdict."""
        from dataclasses import asdict

        from ocrstudio import store

        with self.handle.write() as s:
            for o in outcomes:
                store.set_model_metrics(
                    s,
                    o.version_id,
                    {
                        **asdict(o.after),
                        "split": split,
                        "base": o.base,
                        "kept": o.activated,
                        "why": o.why,
                    },
                )

    def _forget(self, made: Sequence[ModelChoice]) -> None:
        import shutil

        from ocrstudio import store

        with self.handle.write() as s:
            for c in made:
                if c.version_id is not None:
                    store.delete_model_version(s, c.version_id)
        for c in made:
            shutil.rmtree(c.weights.parent, ignore_errors=True)

    def _judge_pages(self) -> tuple[str, list[Any]]:
        for split in ("test", "val"):
            _, pages = project_pages(self.handle, split)
            if pages:
                return split, pages
        raise InputError(
            "no verified photo in the test or val split, so nothing could "
            "show that a new model is better: verify a photo of each split "
            "(Image > Split) first",
            self.handle.folder,
        )

    def _pair(self, new: dict[str, ModelChoice]) -> tuple[ModelChoice, ModelChoice]:
        return (
            new.get("detector", self.base["detector"]),
            new.get("recognizer", self.base["recognizer"]),
        )

    def _read(
        self, pages: Sequence[Any], new: dict[str, ModelChoice], words: bool = True
    ) -> Reading:
        det, rec = self._pair(new)
        return read_labelled(
            det.weights,
            rec.weights,
            pages,
            self.job.device,
            self.job.preset,
            words=words,
            predictors=self.job.predictors,
        )

    def _read_pages(self, pages: Sequence[Any], new: dict[str, ModelChoice]) -> Reading:
        """The pages read as the window pre-labels them, without their words' own crops
        (the general check's end to end needs no word accuracy)."""
        return self._read(pages, new, words=False)

    def _roles_to_train(self) -> tuple[tuple[Role, ...], tuple[str, ...]]:
        """The roles to fine-tune: not the detector where it already finds the person's
        text as they box it (the base detector's boxes and the box rules box at least
        `FOUND_ENOUGH` of the labels studied): what it would learn is the box convention,
        which the rules keep, and the photos' other text as background, which cost 1.3
        points of ICDAR 2015 end to end after a plates run; its time goes to the other."""
        study = self.study
        if (
            "detector" in self.job.roles
            and study.boxes is not None
            and study.found_share >= FOUND_ENOUGH
        ):
            why = (
                f"detector: not fine-tuned: with your box rules it already boxes "
                f"{study.found_share:.0%} of your labels"
            )
            return tuple(r for r in self.job.roles if r != "detector"), (why,)
        return self.job.roles, ()

    def _train_all(self, scoring: float, roles: tuple[Role, ...]) -> dict[str, ModelChoice]:
        """Fine-tune each role for its share of the time left after the scorings."""
        from ocrstudio.services.training import base_card
        from ocrstudio.training.finetune import settings_for

        shares = {r: settings_for(base_card(self.base[r].weights)).time_share for r in roles}
        new: dict[str, ModelChoice] = {}
        n = len(roles)
        general = self.general.seconds if self.general is not None else 0.0
        reserve = (
            SCORE_MARGIN * (scoring + general) * (n + 1)
            + EXPORT_RESERVE * n
            + FIT_OVERHEAD
            + self.filter_reserve
        )
        for i, role in enumerate(roles):
            check_cancel(self.cancel, "cancelled; the active models are unchanged")
            left = self.deadline - time.monotonic() - reserve
            rest = sum(shares[r] for r in roles[i:])
            seconds = left * shares[role] / rest
            if seconds < 10:
                raise InputError(
                    f"the time budget of {self.job.minutes:g} minutes leaves "
                    f"{max(seconds, 0):.0f} s to fine-tune the {role}: give "
                    "it more time"
                )
            new[role] = self._train(role, seconds)
        return new

    def _train(self, role: str, seconds: float) -> ModelChoice:
        from ocrstudio.services.training import fine_tune_config

        base = self.base[role]
        batch = fine_tune_config(base.weights, self.job.fit).batch_size
        fit = {
            "epochs": 100_000,
            "max_seconds": seconds,
            "epoch_size": EVAL_STEPS * batch,
            "log_every": 5,
            "eval_size": 200,
            "device": self.job.device,
            **self.job.fit,
        }
        key = str(base.version_id) if base.version_id else str(base.weights)
        replay = self.rec_replay if role == "recognizer" else self.det_replay
        job = TrainJob(
            self.handle.folder,
            base=key,
            fit=fit,
            extra=replay,
            score_test=False,
            dont_care=self.study.dont_care if role == "detector" else {},
            boxes=self.study.boxes_of_labels if role == "detector" else {},
            texts=self.study.texts if role == "recognizer" else {},
        )

        def report(p: Any) -> None:
            self.say(f"fine-tuning the {role}: step {p.step}/{p.total_steps}", p)

        self.say(f"fine-tuning the {role} ({seconds / 60:.1f} min)")
        result = job.run_in(self.handle, report, self.cancel)
        choice = find_choice(self.handle, f"version:{result.version_id}")
        self.made.append(choice)
        return choice
