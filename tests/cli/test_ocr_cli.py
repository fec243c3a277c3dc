"""`ocrstudio ocr` and `ocrstudio recognize` print exactly the documented JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocrstudio.cli import main
from ocrstudio.training.synth import SceneSynth, SceneSynthConfig, WordSynth


@pytest.fixture(scope="module")
def models(tiny_ocr_models: tuple[Path, Path]) -> tuple[Path, Path]:
    """A detector that calls the whole image text, and a tiny recognizer (conftest)."""
    return tiny_ocr_models


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("images")
    synth = SceneSynth(SceneSynthConfig(size=(200, 260), instances=(2, 3)), seed=4)
    paths = []
    for i in range(3):
        p = root / f"scene{i}.png"
        cv2.imwrite(str(p), synth[i].image[..., ::-1])
        paths.append(str(p))
    crop = root / "word.png"
    cv2.imwrite(str(crop), WordSynth(seed=1)[0].image[..., ::-1])
    paths.append(str(crop))
    return paths


def _lines(out: str) -> list[dict]:
    lines = out.splitlines()
    assert lines and all(line.strip() for line in lines)
    return [json.loads(line) for line in lines]


def test_ocr_boxes_choice_is_checked(models, images, capsys):
    det, rec = models
    base = ["ocr", "--det", str(det), "--rec", str(rec), "--device", "cpu", images[0]]
    assert main([*base[:1], "--boxes", "lines", *base[1:]]) == 0
    assert len(_lines(capsys.readouterr().out)) == 1
    with pytest.raises(SystemExit):
        main([*base[:1], "--boxes", "paragraphs", *base[1:]])


def test_ocr_jsonl(models, images, capsys):
    det, rec = models
    code = main(["ocr", "--det", str(det), "--rec", str(rec), "--device", "cpu", *images])
    captured = capsys.readouterr()
    assert code == 0
    objs = _lines(captured.out)
    assert [o["image"] for o in objs] == images  # input order, paths as given
    for o, path in zip(objs, images, strict=True):
        assert set(o) == {"image", "width", "height", "regions"}
        h, w = cv2.imread(path).shape[:2]
        assert (o["width"], o["height"]) == (w, h)
        assert len(o["regions"]) >= 1
        for r in o["regions"]:
            assert set(r) == {"points", "text", "score", "det_score"}
            assert len(r["points"]) >= 3 and all(len(p) == 2 for p in r["points"])
            assert isinstance(r["text"], str)
            assert 0.0 <= r["score"] <= 1.0 and 0.5 < r["det_score"] <= 1.0


def test_ocr_reports_an_unreadable_image_and_runs_the_rest(models, images, capsys, tmp_path):
    det, rec = models
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    args = [images[0], str(bad), images[1]]
    code = main(["ocr", "--det", str(det), "--rec", str(rec), "--device", "cpu", *args])
    captured = capsys.readouterr()
    assert code != 0
    assert [o["image"] for o in _lines(captured.out)] == [images[0], images[1]]
    assert str(bad) in captured.err


def test_ocr_text_format(models, images, capsys):
    det, rec = models
    assert main(["ocr", "--det", str(det), "--rec", str(rec), "--format", "text", images[0]]) == 0
    out = capsys.readouterr().out
    assert not out.lstrip().startswith("{")


def test_recognize_jsonl(models, images, capsys, tmp_path):
    _, rec = models
    crops = [images[3], images[0]]
    assert main(["recognize", "--rec", str(rec.parent), "--device", "cpu", *crops]) == 0
    objs = _lines(capsys.readouterr().out)
    assert [o["image"] for o in objs] == crops
    for o in objs:
        assert set(o) == {"image", "text", "score"}
        assert isinstance(o["text"], str) and 0.0 <= o["score"] <= 1.0
    missing = str(tmp_path / "nope.png")
    assert main(["recognize", "--rec", str(rec), crops[0], missing]) != 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1 and missing in captured.err


def test_without_models_there_is_a_clear_error(images, capsys, monkeypatch):
    from ocrstudio.services import ocr

    monkeypatch.setattr(ocr, "shipped_dirs", lambda: [])
    assert main(["ocr", images[0]]) == 2
    err = capsys.readouterr().err
    assert "--det" in err and "Traceback" not in err


def test_ocr_predictor_reads_regions_in_order(models):
    from ocrstudio.engine.predictor import OcrPredictor

    det, rec = models
    ocr = OcrPredictor.from_checkpoints(det, rec, device="cpu")
    img = np.full((96, 160, 3), 255, np.uint8)
    pages = ocr.predict_batch([img, img], ["a", "b"])
    assert [p.image for p in pages] == ["a", "b"]
    for p in pages:
        assert [r.order for r in p.regions] == list(range(len(p.regions)))
        assert all(r.det_score is not None and r.score is not None for r in p.regions)
