"""One-command OCR and recognition (Qt-free): what `ocrstudio ocr` / `recognize` run.

A MODEL is a checkpoint path (a folder with model.safetensors, or the file itself) or the
name of a model shipped in the package's `resources/models/<name>/` (found through
importlib.resources, so an installed, non-editable package finds them too). Models load
once; images are read, run in batches, and reported in input order. An image that cannot
be read is reported by name and the others still run.
"""

from __future__ import annotations

import importlib.resources
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from ocrstudio.core.errors import InputError
from ocrstudio.core.images import read_image
from ocrstudio.core.lines import layout_lines
from ocrstudio.core.types import PageLabels
from ocrstudio.engine.spec import Preset

if TYPE_CHECKING:  # the engine loads torch: imported where a model is built
    from ocrstudio.engine.predictor import OcrPredictor
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor

# Detector input limit per preset (None: the model's own, 1280 for the shipped one).
# fast: 960 runs the PP-OCRv6 detector in about half of its 1280-pixel time; the shipped
# card holds thresholds and verify settings tuned for 960 (validation H-mean 0.808 against 0.833
# at 1280 in the same bench run), see docs/models.md.
PRESET_LIMIT_SIDE: dict[str, int | None] = {"accurate": None, "fast": 960}
# Recognizer batches padded to at least this width per preset (None: the model's own, 320
# for the shipped one). fast: short words pad to 160, reading word crops 1.7-1.9x as fast
# at -0.2 points of word accuracy on 3,149 crops of forms, receipts, screenshots and ICDAR
# 2015 (21 lost, 13 won), see docs/models.md.
PRESET_REC_MIN_WIDTH: dict[str, int | None] = {"accurate": None, "fast": 160}


def preset_options(preset: Preset) -> dict[str, Any]:
    """Keyword arguments for OcrPredictor.from_checkpoints that a preset sets."""
    limit = PRESET_LIMIT_SIDE[preset]
    return {} if limit is None else {"limit_side": limit}


def shipped_dirs() -> list[Path]:
    """Where shipped models live: the installed package's resources, then (in a source
    checkout) the repository's resources/models."""
    dirs = []
    try:
        pkg = importlib.resources.files("ocrstudio").joinpath("resources", "models")
        if pkg.is_dir():
            dirs.append(Path(str(pkg)))
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    repo = Path(__file__).resolve().parents[2] / "resources" / "models"
    if repo.is_dir():
        dirs.append(repo)
    return dirs


def shipped_models(role: str) -> dict[str, Path]:
    """Name -> folder of every shipped model of `role` (read from its model.json)."""
    out: dict[str, Path] = {}
    from ocrstudio.engine.card import read_card

    for root in shipped_dirs():
        for path in sorted(root.glob("*/model.json")):
            try:
                card = read_card(path)
            except InputError:  # no weights beside it, or a card this version refuses
                continue
            if card.role == role:
                out.setdefault(path.parent.name, path.parent)
    return out


def resolve_model(model: str | None, role: str, preset: Preset = "accurate") -> Path:
    """A MODEL argument (path or shipped name), or the preset's shipped default."""
    if model is not None:
        p = Path(model)
        if p.exists():
            return p
        shipped = shipped_models(role)
        if model in shipped:
            return shipped[model]
        known = ", ".join(shipped) or "none shipped"
        raise InputError(f"no such {role} model (not a path; shipped {role}s: {known})", model)
    shipped = shipped_models(role)
    if not shipped:
        flag = "--det" if role == "detector" else "--rec"
        raise InputError(
            f"no {role} model is shipped with this installation: pass "
            f"{flag} MODEL (a checkpoint trained with `ocrstudio train`)"
        )
    return preferred_model(list(shipped.values()), preset)


def preferred_model(models: list[Path], preset: Preset) -> Path:
    """The shipped `*_default` model when its architecture's zoo entry lists `preset`,
    else the first that lists it, else the first. Other shipped models are named
    choices (`--det det_lines`, `--rec rec_crnn_g2`)."""
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.zoo import ARCHITECTURES

    models = sorted(models, key=lambda p: not p.name.endswith("_default"))
    for path in models:
        spec = ARCHITECTURES.get(read_card(path).architecture)
        if spec is not None and preset in spec.presets:
            return path
    return models[0]


@dataclass(frozen=True)
class Failure:
    image: str
    error: str


def _read_all(paths: Sequence[str]) -> Iterator[tuple[str, np.ndarray | Failure]]:
    for p in paths:
        try:
            yield p, read_image(p)
        except InputError as exc:
            yield p, Failure(p, str(exc))


def load_ocr(
    det: str | None,
    rec: str | None,
    device: str = "auto",
    preset: Preset = "accurate",
    boxes: str | None = None,
    verify: bool = True,
) -> OcrPredictor:
    """An OcrPredictor for MODEL arguments (paths or shipped names; None: the preset's
    shipped default), built by `build_ocr`."""
    return build_ocr(
        resolve_model(det, "detector", preset),
        resolve_model(rec, "recognizer", preset),
        device,
        preset,
        boxes,
        verify,
    )


def box_level(det_path: Path, boxes: str | None = None) -> str:
    """ "words" (a region read as several words becomes one region per word) or "lines"
    (the detector's regions as they are): `boxes` when given, else the detector card's
    `boxes` (imported PaddleOCR detectors and `det_lines` say "lines"), else words."""
    from ocrstudio.engine.card import BOX_LEVELS, card_path, read_card

    if boxes is None:
        return read_card(det_path).boxes or "words"
    if boxes not in BOX_LEVELS:
        raise InputError(
            f"boxes must be one of {', '.join(BOX_LEVELS)}, not {boxes!r}", card_path(det_path)
        )
    return boxes


def build_ocr(
    det_path: Path,
    rec_path: Path,
    device: str = "auto",
    preset: Preset = "accurate",
    boxes: str | None = None,
    verify: bool = True,
) -> OcrPredictor:
    """The one factory of OcrPredictors, for `ocrstudio ocr` and for pre-labeling from the
    CLI and the window. `fast` on a CPU runs both networks on ONNX Runtime, int8 or fp32,
    and `accurate` the PP-OCRv6 pair in fp32 (`_onnx_runtime`; built and cached on first
    use, see int8_cache); elsewhere in torch.
    `boxes`: see `box_level`. With `verify` (off: `--keep-all`), the detector card's
    verify settings at the preset's input (`ModelCard.verify_for`: the recognizer
    confirms the words the detector is unsure of) apply; without, or when the card has
    none, every detected region is kept. A page whose text is too small or too large for
    the detector at the preset's input is read again at a scale that fits it
    (`TextScale`: forms and small print; street photos keep their one pass)."""
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.detection.predictor import DetectionPredictor
    from ocrstudio.engine.detection.text_scale import TextScale
    from ocrstudio.engine.predictor import OcrPredictor

    with card_errors(det_path):
        det_kwargs: dict[str, Any] = {**preset_options(preset), "text_scale": TextScale()}
        limit = PRESET_LIMIT_SIDE[preset]
        settings = read_card(det_path).verify_for(limit) if verify else None
        if settings is not None:  # the detector hands over its unsure words too
            det_kwargs["postprocess"] = DetectionPredictor.card_postprocess(
                det_path, settings.candidates, limit
            )
        runtime = _onnx_runtime(det_path, device, preset)
        if runtime is not None:
            from ocrstudio.services.int8_cache import int8_model

            # int8 is calibrated at the preset's input size (fp32 takes any)
            onnx = int8_model(det_path, limit or 0, quantized=runtime == "int8")
            detector = DetectionPredictor.from_int8(onnx, det_path, **det_kwargs)
        else:
            detector = DetectionPredictor.from_checkpoint(det_path, device=device, **det_kwargs)
    return OcrPredictor(
        detector,
        load_recognizer(rec_path, device, preset),
        split_words=box_level(det_path, boxes) == "words",
        verify=settings,
    )


SESSION_MODELS = 2  # predictors kept loaded (a detector+recognizer pair, a recognizer)
_Built = TypeVar("_Built")


class PredictorCache:
    """Predictors kept loaded for a session (the window pre-labels many times with the
    same models), owned by whoever runs jobs (the window, a CLI command) and handed to
    the services that read photos; the jobs' threads share it, so it builds under a lock
    (two jobs asking at once build once). A predictor is rebuilt when its weights file
    changed on disk; the least recently used goes beyond `size`."""

    def __init__(self, size: int = SESSION_MODELS) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._kept: dict[tuple[object, ...], object] = {}

    def ocr(
        self,
        det: Path,
        rec: Path,
        device: str = "auto",
        preset: Preset = "accurate",
        verify: bool = True,
    ) -> OcrPredictor:
        """A detector+recognizer pair as `build_ocr` makes it."""
        return self._get(
            ("ocr", device, preset, verify, *_stamps(det, rec)),
            lambda: build_ocr(det, rec, device, preset, verify=verify),
        )

    def recognizer(
        self, path: Path, device: str = "auto", preset: Preset = "accurate"
    ) -> RecognitionPredictor:
        """A recognizer as `load_recognizer` makes it."""
        return self._get(
            ("rec", device, preset, *_stamps(path)), lambda: load_recognizer(path, device, preset)
        )

    def loaded(self) -> list[object]:
        """The predictors held now, least recently used first."""
        with self._lock:
            return list(self._kept.values())

    def _get(self, key: tuple[object, ...], build: Callable[[], _Built]) -> _Built:
        with self._lock:
            if key in self._kept:
                self._kept[key] = self._kept.pop(key)  # most recently used last
            else:
                self._kept[key] = build()
                while len(self._kept) > self.size:
                    del self._kept[next(iter(self._kept))]
            return cast(_Built, self._kept[key])  # the key names the kind that was built


def _stamps(*paths: Path) -> tuple[tuple[str, float], ...]:
    """Each weights file with its modification time: a changed file is another key."""
    out = []
    for path in paths:
        try:
            out.append((str(path), path.stat().st_mtime))
        except OSError:
            out.append((str(path), 0.0))
    return tuple(out)


def load_recognizer(
    path: Path, device: str = "auto", preset: Preset = "accurate"
) -> RecognitionPredictor:
    """A RecognitionPredictor; `fast` on a CPU runs a CTC model's network on ONNX Runtime
    (see `_onnx_runtime`) and pads short words less (`PRESET_REC_MIN_WIDTH`)."""
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor

    width = PRESET_REC_MIN_WIDTH[preset]
    with card_errors(path):
        runtime = _onnx_runtime(path, device, preset)
        if runtime is not None:
            from ocrstudio.services.int8_cache import int8_model

            onnx = int8_model(path, quantized=runtime == "int8")
            return RecognitionPredictor.from_int8(onnx, path, min_width=width)
        return RecognitionPredictor.from_checkpoint(path, device=device, min_width=width)


@contextmanager
def card_errors(path: Path) -> Iterator[None]:
    """A model card whose settings have the wrong type or lie out of bounds (a size of
    100000, a mean that is a string) is the file's fault: one line naming it, not the
    traceback of wherever the value was first used."""
    try:
        yield
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        from ocrstudio.engine.card import card_path

        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise InputError(
            f"the model card's settings cannot be used: {why}", card_path(path)
        ) from None


def _onnx_runtime(path: Path, device: str, preset: Preset) -> str | None:
    """How a preset on a CPU runs a network: in `fast`, "int8" for the architectures the
    int8 export is made for (DBNet, the CTC recognizers), "fp32" on ONNX Runtime for those
    int8 costs too much (the PP-OCRv6 pair); in `accurate`, "fp32" for that pair too (the
    same arithmetic as torch's, about three times as fast on a CPU: a form's 200 word
    crops took seconds in torch); None (torch) otherwise: TCM, ABINet, CLIP4STR, the
    other networks in `accurate`, and every network on a GPU."""
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.device import pick_device
    from ocrstudio.engine.zoo import ARCHITECTURES

    spec = ARCHITECTURES.get(read_card(path).architecture)
    if spec is None or pick_device(device).type != "cpu":
        return None
    if preset != "fast":
        return "fp32" if spec.onnx_fp32 else None
    return "int8" if spec.int8 else "fp32" if spec.onnx_fp32 else None


def run_ocr(
    paths: Sequence[str],
    det: str | None,
    rec: str | None,
    device: str = "auto",
    preset: Preset = "accurate",
    batch: int = 8,
    boxes: str | None = None,
    verify: bool = True,
) -> Iterator[PageLabels | Failure]:
    """Pages (or failures) in input order; models load once, images go in batches."""
    ocr = load_ocr(det, rec, device, preset, boxes, verify)
    pending: list[tuple[str, np.ndarray | Failure]] = []
    for item in _read_all(paths):
        pending.append(item)
        if len(pending) >= batch:
            yield from _flush(ocr, pending)
            pending = []
    yield from _flush(ocr, pending)


def _flush(
    ocr: OcrPredictor, pending: list[tuple[str, np.ndarray | Failure]]
) -> Iterator[PageLabels | Failure]:
    good = [(p, img) for p, img in pending if not isinstance(img, Failure)]
    pages = iter(ocr.predict_batch([img for _, img in good], [p for p, _ in good]) if good else [])
    for _, img in pending:
        yield img if isinstance(img, Failure) else next(pages)


def run_recognize(
    paths: Sequence[str], rec: str | None, device: str = "auto", preset: Preset = "accurate"
) -> Iterator[dict[str, Any] | Failure]:
    """{"image", "text", "score"} per crop (or a failure), in input order, one batched pass."""
    predictor = load_recognizer(resolve_model(rec, "recognizer", preset), device, preset)
    items = list(_read_all(paths))
    good = [img for _, img in items if not isinstance(img, Failure)]
    results = iter(predictor.predict(good))
    for path, img in items:
        if isinstance(img, Failure):
            yield img
            continue
        r = next(results)
        yield {"image": path, "text": r.text, "score": round(float(r.score), 4)}


def page_json(page: PageLabels) -> dict[str, Any]:
    """The `ocrstudio ocr --format jsonl` object of one image."""
    return {
        "image": page.image,
        "width": page.width,
        "height": page.height,
        "regions": [
            {
                "points": [[round(x, 1), round(y, 1)] for x, y in r.polygon.points],
                "text": r.text,
                "score": round(float(r.score or 0.0), 4),
                "det_score": round(float(r.det_score or 0.0), 4),
            }
            for r in page.regions
        ],
    }


def page_lines(page: PageLabels) -> list[str]:
    """The page's text as it stands on the page: a line per text line, grouped along the
    text's own baselines, words at their place (`core.lines.layout_lines`). `ocrstudio ocr
    --format text`, quick OCR's list and its clipboard all take these lines."""
    return layout_lines([r.polygon for r in page.regions], [r.text for r in page.regions])
