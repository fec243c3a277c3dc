"""Pre-labeling (Qt-free): run the project's detector and recognizer over its images and
store what they propose, never touching what a person verified or edited.

- Images not verified: the model's earlier proposals are replaced (`write_model_regions`);
  proposals that overlap a region a person verified or edited are dropped, so a corrected
  region never gets a duplicate next to it.
- Verified images (only with `include_verified`, the CLI's `--all`): nothing is replaced;
  proposals that overlap no existing region are added, and the image goes back to
  pre-labeled so a person looks at what the model found.
- Re-recognition reads existing regions again: model-made regions get the new text and
  score; a person's region is filled in only when its text is empty.

Each image is committed on its own, so a cancel keeps the images already done; each batch
reports the ids it wrote (`JobProgress.landed`) and the photos per second, so the window
shows results as they land. Models come from the caller's `services.ocr.PredictorCache`:
built by the one factory the CLI's `ocrstudio ocr` uses, and loaded once per session.
Every job returns snapshots of what it changed, so the GUI can offer undo for a single
image.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocrstudio import store
from ocrstudio.core.cancel import CancelToken, check_cancel
from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import CROP_MARGIN, crop_polygon, intersection_over_area
from ocrstudio.core.images import read_image
from ocrstudio.core.types import Region
from ocrstudio.services import annotation as an
from ocrstudio.services.jobs import JobProgressCallback, report
from ocrstudio.services.model_choice import (
    ModelChoice,
    active_models,
    conventions_of,
    find_choice,
)
from ocrstudio.services.ocr import PredictorCache, Preset
from ocrstudio.services.project import ProjectHandle
from ocrstudio.services.scoring import conventional
from ocrstudio.store import edits

OVERLAP = 0.5  # a proposal covering more than this of a person's region duplicates it
BATCH = 2  # images per detector call: small, so the list updates while a run goes on


@dataclass(frozen=True)
class ImageBefore:
    """An image's labels before a job changed them (for undo)."""

    state: an.ImageState
    regions: tuple[an.RegionRecord, ...]


@dataclass(frozen=True)
class PrelabelReport:
    images: int = 0  # images the models ran on
    regions: int = 0  # regions written or updated
    kept: int = 0  # proposals dropped because a person's region was there
    skipped: int = 0  # regions or images left alone (verified / edited)
    provenance: str = ""
    before: dict[int, ImageBefore] = field(default_factory=dict)
    per_s: float | None = None  # images per second, models loaded
    left_out: tuple[str, ...] = ()  # "file: why" of images unreadable or changed on disk
    # verified images that got new proposals and so are pre-labeled again (`--all`): a
    # person's verification taken away is said, never silent
    reopened: tuple[str, ...] = ()


def choose_models(
    project: ProjectHandle, det: str | None, rec: str | None
) -> tuple[ModelChoice, ModelChoice]:
    """The named models (key, name or path), else the project's active ones."""
    active = active_models(project)
    d = find_choice(project, det) if det else active["detector"]
    r = find_choice(project, rec) if rec else active["recognizer"]
    if d is None or r is None:
        missing = "detector" if d is None else "recognizer"
        raise InputError(
            f"no {missing} model in the project and none shipped: train one "
            f"(Models > Train a model, or `ocrstudio train --project`) or name "
            f"one (--{missing[:3]} MODEL)"
        )
    if d.role != "detector" or r.role != "recognizer":
        raise InputError(f"{d.name} / {r.name}: expected a detector and a recognizer")
    return d, r


def provenance_of(det: ModelChoice, rec: ModelChoice) -> str:
    return f"{det.name}+{rec.name}"


def _overlaps(region: Region, others: Sequence[an.RegionRecord]) -> bool:
    pts = region.polygon.as_array()
    for o in others:
        theirs = o.polygon.as_array()
        if max(intersection_over_area(theirs, pts), intersection_over_area(pts, theirs)) > OVERLAP:
            return True
    return False


def snapshot_image(project: ProjectHandle, image_id: int) -> ImageBefore:
    with project.session() as s:  # one read: state and regions of the same moment
        return ImageBefore(
            edits.image_state(s, image_id), tuple(store.regions_of_image(s, image_id))
        )


def _write_page(
    project: ProjectHandle,
    image: an.ImageRecord,
    proposals: Sequence[Region],
    provenance: str,
    version_id: int | None,
) -> tuple[int, int, bool]:
    """Store one image's proposals in one transaction (the regions a person has now are
    read inside it, so an edit made while the models ran is respected); returns
    (written, dropped as duplicates, whether a verified image went back to pre-labeled)."""
    with project.write() as s:
        existing = store.regions_of_image(s, image.id)
        now = store.get_image(s, image.id)
        if now is not None and now.status == an.ImageStatus.VERIFIED:
            fresh = [p for p in proposals if not _overlaps(p, existing)]
            store.add_regions(
                s,
                [(image.id, p.with_(provenance=provenance, verified=False)) for p in fresh],
                edited=False,
                model_version_id=version_id,
            )
            if fresh:
                store.set_image_status(s, image.id, an.ImageStatus.PRELABELED)
            return len(fresh), len(proposals) - len(fresh), bool(fresh)
        protected = [r for r in existing if r.protected]
        fresh = [p for p in proposals if not _overlaps(p, protected)]
        n = store.write_model_regions(s, image.id, fresh, provenance, version_id)
    return n, len(proposals) - len(fresh), False


def _readable(
    images: Sequence[an.ImageRecord], left_out: list[str]
) -> tuple[list[an.ImageRecord], list[Any]]:
    """The images of a batch whose pixels can be read and still have the size the project
    knows, with them; the others (a truncated JPEG, a file gone, a photo changed on disk
    since it was added, whose proposals would land in another frame) are noted in
    `left_out` and the run goes on without them."""
    ok, pixels = [], []
    for im in images:
        try:
            image = read_image(im.file, turns=im.rotation)
        except InputError as exc:
            left_out.append(str(exc))
            continue
        height, width = image.shape[:2]
        if (width, height) != (im.width, im.height):
            left_out.append(
                f"{im.file}: changed on disk since it was added ({im.width}x"
                f"{im.height}, now {width}x{height}): re-add it to label it"
            )
            continue
        ok.append(im)
        pixels.append(image)
    return ok, pixels


@dataclass(frozen=True)
class PrelabelJob:
    """Pre-label `image_ids` (None: every image not verified, or all with
    `include_verified`; only those never pre-labeled with `only_new`) with the named or
    active models, run as `preset` says (the window uses `fast`). `keep_all` keeps every
    box the detector is sure of without the recognizer's verify (see `build_ocr`) and
    leaves out the project's conventions (keep filter and text rules,
    `services.conventions`), which are otherwise applied while switched on."""

    project: Path
    det: str | None = None
    rec: str | None = None
    image_ids: tuple[int, ...] | None = None
    include_verified: bool = False
    device: str = "auto"
    only_new: bool = False
    preset: Preset = "accurate"
    keep_all: bool = False
    # the session's loaded models (the window's, kept between jobs); a job of its own else
    predictors: PredictorCache = field(default_factory=PredictorCache, compare=False, repr=False)

    def run(
        self, progress: JobProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> PrelabelReport:
        from ocrstudio.services.project import open_project

        with open_project(self.project) as project:
            return self._run(project, progress, cancel)

    def _images(self, project: ProjectHandle) -> list[an.ImageRecord]:
        images = an.list_images(project)
        if self.image_ids is not None:
            wanted = set(self.image_ids)
            return [im for im in images if im.id in wanted]
        if self.only_new:
            return [im for im in images if im.status == an.ImageStatus.NEW]
        return [
            im for im in images if self.include_verified or im.status != an.ImageStatus.VERIFIED
        ]

    def _run(
        self,
        project: ProjectHandle,
        progress: JobProgressCallback | None,
        cancel: CancelToken | None,
    ) -> PrelabelReport:
        det, rec = choose_models(project, self.det, self.rec)
        images = self._images(project)
        keep_undo = len(images) == 1
        report(progress, 0, len(images), "loading the models")
        ocr = self.predictors.ocr(
            det.weights, rec.weights, self.device, self.preset, verify=not self.keep_all
        )
        prov = provenance_of(det, rec)
        conventions = None if self.keep_all else conventions_of(project)
        totals = {"images": 0, "regions": 0, "kept": 0}
        before: dict[int, ImageBefore] = {}
        started = time.monotonic()
        left_out: list[str] = []
        reopened: list[str] = []
        for start in range(0, len(images), BATCH):
            check_cancel(cancel)
            batch, pixels = _readable(images[start : start + BATCH], left_out)
            pages = ocr.predict_batch(pixels, [im.path for im in batch]) if batch else []
            for im, page, pix in zip(batch, pages, pixels, strict=True):
                check_cancel(cancel)
                found = (
                    page.regions
                    if conventions is None
                    else conventional(
                        page.regions,
                        (pix.shape[1], pix.shape[0]),
                        conventions.active,
                        conventions.active_rules,
                        conventions.active_boxes,
                    )
                )
                if keep_undo:
                    before[im.id] = snapshot_image(project, im.id)
                written, dropped, again = _write_page(project, im, found, prov, rec.version_id)
                if again:
                    reopened.append(im.path)
                totals["images"] += 1
                totals["regions"] += written
                totals["kept"] += dropped
            done = min(start + BATCH, len(images))
            report(
                progress,
                done,
                len(images),
                images[done - 1].file.name,
                landed=tuple(im.id for im in batch),
                started=started,
            )
        elapsed = time.monotonic() - started
        return PrelabelReport(
            **totals,
            provenance=prov,
            before=before,
            per_s=totals["images"] / elapsed if totals["images"] else None,
            left_out=tuple(left_out),
            reopened=tuple(reopened),
        )


@dataclass(frozen=True)
class RecognizeJob:
    """Read `region_ids` of one image again (None: all its regions) with the named or
    active recognizer. A region a person verified or edited is left alone unless its text
    is empty, or `asked`: the person chose these regions to be read again (their wish),
    and a new reading of one of them is theirs to confirm again."""

    project: Path
    image_id: int
    region_ids: tuple[int, ...] | None = None
    rec: str | None = None
    device: str = "auto"
    preset: Preset = "accurate"
    asked: bool = False
    # the session's loaded models (the window's, kept between jobs); a job of its own else
    predictors: PredictorCache = field(default_factory=PredictorCache, compare=False, repr=False)

    def run(
        self, progress: JobProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> PrelabelReport:
        from ocrstudio.services.project import open_project

        with open_project(self.project) as project:
            return self._run(project, progress, cancel)

    def _run(
        self,
        project: ProjectHandle,
        progress: JobProgressCallback | None,
        cancel: CancelToken | None,
    ) -> PrelabelReport:
        rec = find_choice(project, self.rec) if self.rec else active_models(project)["recognizer"]
        if rec is None:
            raise InputError("no recognizer model: train one or make one active")
        image = an.get_image(project, self.image_id)
        if image is None:
            raise InputError(f"no image with id {self.image_id}")
        before = snapshot_image(project, image.id)
        wanted = None if self.region_ids is None else set(self.region_ids)
        targets = [r for r in before.regions if wanted is None or r.id in wanted]
        fillable = [r for r in targets if self.asked or not r.protected or not r.text]
        pixels = read_image(image.file, turns=image.rotation)
        crops = [crop_polygon(pixels, r.polygon.as_array(), CROP_MARGIN) for r in fillable]
        check_cancel(cancel)
        results = self.predictors.recognizer(rec.weights, self.device, self.preset).predict(crops)
        check_cancel(cancel)
        # a person may have typed a text while the crops were read: theirs stays
        now = {r.id: r for r in an.regions_of_image(project, image.id)}
        keep = [
            k
            for k, r in enumerate(fillable)
            if r.id in now
            and (
                now[r.id] == r
                if self.asked and r.protected
                else not (now[r.id].protected and now[r.id].text)
            )
        ]
        written = _store_texts(
            project, [now[fillable[k].id] for k in keep], [results[k] for k in keep], rec
        )
        report(progress, 1, 1, f"{written} region(s) read", landed=(image.id,))
        return PrelabelReport(
            images=1,
            regions=written,
            skipped=len(targets) - written,
            provenance=rec.name,
            before={image.id: before},
        )


def _store_texts(
    project: ProjectHandle,
    regions: Sequence[an.RegionRecord],
    results: Sequence[Any],
    rec: ModelChoice,
) -> int:
    written = 0
    with project.write() as s:
        for r, res in zip(regions, results, strict=True):
            if r.protected:  # a person's region: empty, or they asked for it to be read
                again = {"verified": False} if r.verified and res.text != r.text else {}
                store.update_region(s, r.id, text=res.text, score=float(res.score), **again)
                written += 1
            elif store.model_update_region(
                s, r.id, rec.name, rec.version_id, text=res.text, score=float(res.score)
            ):
                written += 1
    return written


def restore_images(project: ProjectHandle, before: dict[int, ImageBefore]) -> None:
    """Put images back as snapshots show them (undo and redo of a job in the GUI), all
    in one transaction: an undo is done completely or not at all."""
    with project.write() as s:
        for b in before.values():
            edits.put_back_image(s, b.state, b.regions)
