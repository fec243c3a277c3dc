"""`ocrstudio bench` times real OCR passes and reports them as one JSON line."""

from __future__ import annotations

import json
from pathlib import Path

from ocrstudio.cli import main


def test_bench_times_every_stage_on_generated_photos(
    tiny_ocr_models: tuple[Path, Path], capsys
) -> None:
    det, rec = tiny_ocr_models
    assert (
        main(
            [
                "bench",
                "--det",
                str(det),
                "--rec",
                str(rec),
                "--device",
                "cpu",
                "--demo",
                "2",
                "--repeat",
                "2",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out.strip())
    assert out["photos"] == 4
    assert out["crops"] >= 4  # the whole-image detector finds at least one region a photo
    assert out["size"] == "960x640"
    for stage in ("resize_ms", "forward_ms", "postprocess_ms", "recognize_ms"):
        assert out[stage] > 0
    stage_sum = sum(out[k] for k in ("resize_ms", "forward_ms", "postprocess_ms", "recognize_ms"))
    assert stage_sum <= out["ms_per_photo"] * 1.05  # stages are parts of the whole


def test_bench_reads_given_photos_and_names_a_bad_one(
    tiny_ocr_models: tuple[Path, Path], tmp_path: Path, capsys
) -> None:
    det, rec = tiny_ocr_models
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    assert main(["bench", "--det", str(det), "--rec", str(rec), "--device", "cpu", str(bad)]) == 2
    assert "broken.jpg" in capsys.readouterr().err
