"""`services.ocr.build_ocr`'s pipeline for the shipped pair: `accurate` runs it on ONNX
Runtime in fp32 (torch's arithmetic, about three times as fast on a CPU), both presets
pick the detector's input scale from the text's size."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_accurate_runs_the_shipped_pair_in_fp32_and_scales_to_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrstudio.engine.detection.text_scale import TextScale
    from ocrstudio.services.ocr import build_ocr, resolve_model
    from tests.support.rendered_words import rendered_line

    monkeypatch.setenv("OCRSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    det, rec = resolve_model(None, "detector"), resolve_model(None, "recognizer")
    ocr = build_ocr(det, rec, "cpu", "accurate")
    assert ocr.det.runner is not None and ocr.rec.runner is not None
    assert ocr.det.runner.path.parent.name == "fp32" == ocr.rec.runner.path.parent.name
    assert ocr.det.limit_side == 1280 and ocr.det.text_scale == TextScale()
    assert ocr.verify is not None and ocr.verify.short_reading < 1.0  # short words stay
    image, _ = rendered_line(["PAY", "TO", "No.", "11"])
    assert [r.text for r in ocr.predict(image).regions] == ["PAY", "TO", "No.", "11"]
