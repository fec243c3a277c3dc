"""The session's predictors (`services.ocr.PredictorCache`): built once per model files,
rebuilt when a weights file changes on disk, the least recently used let go."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ocrstudio.services import ocr


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []

    def fake_ocr(det: Path, rec: Path, *args: Any, **kwargs: Any) -> object:
        calls.append(("ocr", det, rec))
        return object()

    def fake_rec(path: Path, *args: Any) -> object:
        calls.append(("rec", path))
        return object()

    monkeypatch.setattr(ocr, "build_ocr", fake_ocr)
    monkeypatch.setattr(ocr, "load_recognizer", fake_rec)
    return calls


def test_built_once_then_again_when_the_file_changes(
    tmp_path: Path, built: list[tuple[Any, ...]]
) -> None:
    det, rec = tmp_path / "det.safetensors", tmp_path / "rec.safetensors"
    det.write_bytes(b"d")
    rec.write_bytes(b"r")
    cache = ocr.PredictorCache()
    first = cache.ocr(det, rec, "cpu")
    assert cache.ocr(det, rec, "cpu") is first and len(built) == 1
    os.utime(det, (1, 1))  # the weights file changed on disk
    assert cache.ocr(det, rec, "cpu") is not first and len(built) == 2


def test_the_least_recently_used_goes(tmp_path: Path, built: list[tuple[Any, ...]]) -> None:
    a, b, c = (tmp_path / f"{n}.safetensors" for n in "abc")
    cache = ocr.PredictorCache(size=2)
    ra = cache.recognizer(a)
    cache.recognizer(b)
    assert cache.recognizer(a) is ra  # a used last: b goes next
    cache.recognizer(c)
    assert len(cache.loaded()) == 2 and ra in cache.loaded()
    assert ocr.PredictorCache().loaded() == []  # each owner its own
