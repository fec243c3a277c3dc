"""Quick OCR (no Qt): read any photo with the shipped models, no project needed, and hand
back its regions and its text in reading order; add photos to a project.

The models are the shipped defaults of the preset (`services.ocr.resolve_model`, the
same ones `ocrstudio ocr` picks), built by the one factory and kept in the caller's
`PredictorCache` for the session."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrstudio.core.errors import InputError
from ocrstudio.core.lines import layout
from ocrstudio.core.types import PageLabels
from ocrstudio.services.ocr import PredictorCache, Preset, page_lines, resolve_model
from ocrstudio.services.project import (
    IMAGE_SUFFIXES,
    ProjectHandle,
    add_files,
    image_files,
)

if TYPE_CHECKING:
    from ocrstudio.engine.predictor import OcrPredictor


def default_models(preset: Preset = "fast") -> tuple[Path, Path]:
    """The shipped detector and recognizer a preset uses."""
    return resolve_model(None, "detector", preset), resolve_model(None, "recognizer", preset)


def load_models(
    predictors: PredictorCache,
    models: tuple[Path, Path] | None = None,
    device: str = "auto",
    preset: Preset = "fast",
) -> OcrPredictor:
    """The OcrPredictor quick OCR uses (built once per session, kept in `predictors`)."""
    det, rec = models or default_models(preset)
    return predictors.ocr(det, rec, device, preset)


def read_photo(
    predictors: PredictorCache,
    pixels: Any,
    name: str = "",
    models: tuple[Path, Path] | None = None,
    device: str = "auto",
    preset: Preset = "fast",
) -> PageLabels:
    """Regions (reading order) of one RGB photo."""
    return load_models(predictors, models, device, preset).predict(pixels, name)


def page_layout(page: PageLabels) -> list[tuple[str, list[int]]]:
    """The page's lines as `page_lines` writes them, each with the regions it holds."""
    return layout([r.polygon for r in page.regions], [r.text for r in page.regions])


def page_text(page: PageLabels) -> str:
    """All the text as it stands on the page, a line per text line: the lines of
    `ocrstudio ocr --format text` (`page_lines`), and of quick OCR's list."""
    return "\n".join(page_lines(page))


def photo_files(paths: Sequence[Path], skip: Path | None = None) -> list[Path]:
    """The image files among `paths`, folders searched (a drop of files and folders)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(image_files(p, skip=skip))
        elif p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
            out.append(p)
    return out


def add_photos(handle: ProjectHandle, paths: Sequence[Path]) -> int:
    """Add these photos (and the photos inside these folders) to the project, in one
    transaction; returns how many were new to it."""
    files = photo_files(paths, skip=handle.folder)
    if not files:
        raise InputError(
            "no image files (jpg, png, tif, bmp, webp) among what was given",
            paths[0] if paths else None,
        )
    from ocrstudio import store

    with handle.write() as s:
        before = store.count_images(s)
        add_files(s, handle.folder, files, None, None)
        return store.count_images(s) - before
