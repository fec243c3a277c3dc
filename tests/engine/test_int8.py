"""The `fast` preset's int8 models: ONNX export + static quantisation of a DBNet and a
CRNN agree with the torch models, are cached by checkpoint, and `load_ocr(preset="fast")`
uses them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.detection.predictor import DetectionPredictor
from ocrstudio.engine.detection.zoo import detector_card
from ocrstudio.engine.zoo import get_spec, new_card
from ocrstudio.services import int8_cache
from ocrstudio.services import ocr as ocr_service
from ocrstudio.services.ocr import load_ocr
from ocrstudio.training.synth.scenes import SceneSynth, SceneSynthConfig

pytest.importorskip("onnxruntime")


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OCRSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(int8_cache, "CALIBRATION_SCENES", 3)  # enough for a tiny model
    monkeypatch.setattr(int8_cache, "CALIBRATION_WORD_BATCHES", 2)
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def random_dbnet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny DBNet with random weights and BN statistics that are not the identity, so
    its probability map varies over the image (what quantisation must preserve)."""
    torch.manual_seed(3)
    spec = get_spec("dbnet_mobilenet_v3")
    cfg = spec.config("tiny")
    model = spec.build(cfg, None)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("int8") / "det"
    save_checkpoint(path, model.state_dict(), detector_card(spec.name, cfg))
    return path


def test_int8_prob_map_follows_the_torch_model(random_dbnet: Path, cache: Path) -> None:
    onnx_path = int8_cache.int8_model(random_dbnet, limit_side=256)
    assert onnx_path.is_file() and onnx_path.parent.parent == cache
    torch_det = DetectionPredictor.from_checkpoint(random_dbnet, device="cpu", limit_side=256)
    int8_det = DetectionPredictor.from_int8(onnx_path, random_dbnet, limit_side=256)
    image = SceneSynth(SceneSynthConfig(size=(256, 256)), seed=99)[0].image
    batch, _, _ = torch_det.prepare([image])
    ref, got = torch_det.forward(batch)[0], int8_det.forward(batch)[0]
    assert ref.shape == got.shape == batch.shape[1:3]
    assert ref.std() > 1e-3  # the map is not flat, so the comparison means something
    corr = np.corrcoef(ref.ravel(), got.ravel())[0, 1]
    assert corr > 0.9, corr
    assert float(np.abs(ref - got).mean()) < 0.1


def test_int8_model_is_built_once_per_checkpoint(
    random_dbnet: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[Path] = []
    build = int8_cache._build
    monkeypatch.setattr(int8_cache, "_build", lambda c, *a: builds.append(c) or build(c, *a))
    first = int8_cache.int8_model(random_dbnet, limit_side=256)
    assert int8_cache.int8_model(random_dbnet, limit_side=256) == first
    assert builds == [random_dbnet]  # reused, not rebuilt
    assert int8_cache.int8_path(random_dbnet, 320) != first  # another size, another model
    # changed weights (a fine-tuned checkpoint) get a model of their own
    other = tmp_path / "other"
    other.mkdir()
    for f in random_dbnet.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    (other / "model.json").write_text((random_dbnet / "model.json").read_text() + " ")
    assert int8_cache.int8_path(other, 256) != first


def test_the_cache_keeps_to_its_size_dropping_the_least_recently_used(tmp_path: Path) -> None:
    """Every fine-tune makes a new cached model: past the limit the models used longest ago
    go, never the one just built, and a model read again counts as used now."""
    import os

    folder = tmp_path / "cache"
    paths = []
    for i, kind in enumerate(["fp32", "int8", "fp32", "fp32"]):
        p = folder / kind / f"m{i}.onnx"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 100)
        os.utime(p, (1000 + i, 1000 + i))
        paths.append(p)
    os.utime(paths[0], (2000, 2000))  # the oldest, read again since
    gone = int8_cache.prune(folder, 250, keep=paths[1])
    assert gone == paths[2:]
    assert [p.is_file() for p in paths] == [True, True, False, False]
    assert int8_cache.prune(folder, 0, keep=paths[1]) == [paths[0]]  # never the new one
    assert paths[1].is_file()


def test_fast_preset_runs_the_int8_detector(
    tiny_ocr_models: tuple[Path, Path], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ocr_service.PRESET_LIMIT_SIDE, "fast", 256)
    det, rec = tiny_ocr_models
    ocr = load_ocr(str(det), str(rec), device="cpu", preset="fast")
    assert ocr.det.runner is not None and ocr.det.model is None
    assert ocr.rec.runner is not None
    assert ocr.det.limit_side == 256
    image = np.full((200, 300, 3), 200, np.uint8)
    page = ocr.predict(image, "blank.png")
    # the tiny detector is sure everything is text: one region covering the image
    assert len(page.regions) == 1
    x0, y0, x1, y1 = page.regions[0].polygon.bounds
    assert x0 < 20 and y0 < 20 and x1 > 280 and y1 > 180
    accurate = load_ocr(str(det), str(rec), device="cpu", preset="accurate")
    assert accurate.det.runner is None and accurate.det.model is not None
    assert accurate.rec.runner is None


def test_int8_recognizer_logits_follow_the_torch_model(tmp_path: Path, cache: Path) -> None:
    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.engine.recognition.preprocess import prepare_crops
    from ocrstudio.training.synth.words import WordSynth

    torch.manual_seed(5)
    spec = get_spec("crnn_g2")
    cfg = spec.config("tiny")
    model = spec.build(cfg, Charset("abcdefghijklmnopqrstuvwxyz"))
    path = tmp_path / "rec"
    save_checkpoint(path, model.state_dict(), new_card(spec, model))
    fast = RecognitionPredictor.from_int8(int8_cache.int8_model(path), path)
    synth = WordSynth(seed=4)
    crops = [synth[i].image for i in range(6)]
    x = prepare_crops(crops, cfg.input)
    with torch.inference_mode():
        ref = model.eval().logits(x).numpy()
    got = fast.runner(x.numpy())
    assert got.shape == ref.shape and ref.std() > 1e-3
    assert np.corrcoef(ref.ravel(), got.ravel())[0, 1] > 0.9
    results = fast.predict(crops)  # decoding goes through the torch model's tokenizer
    assert len(results) == 6 and all(0.0 <= r.score <= 1.0 for r in results)


def test_calibration_feeds_what_inference_feeds(random_dbnet: Path, cache: Path) -> None:
    """The int8 calibration inputs come from the predictors' own preprocessing, so they
    are exactly what a runner gets at inference for the same pictures."""
    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.card import read_card
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.training.synth.words import WordSynth

    card = read_card(random_dbnet)
    fed: list[np.ndarray] = []
    spy = DetectionPredictor.from_card(
        None, card, device="cpu", limit_side=320, runner=lambda x: (fed.append(x), x[:, :1])[1]
    )
    scene = SceneSynth(SceneSynthConfig(size=(320, 320)), seed=20261121)[0].image
    spy.predict(scene)
    calibration = next(int8_cache._scene_batches(card, 320))
    assert calibration.dtype == np.float32 and np.array_equal(calibration, fed[0])

    spec = get_spec("crnn_g2")
    model = spec.build(spec.config("tiny"), Charset("abcdefghijklmnopqrstuvwxyz"))
    words: list[np.ndarray] = []
    reader = RecognitionPredictor(
        model,
        device="cpu",
        runner=lambda x: (words.append(x), model.logits(torch.from_numpy(x)).detach().numpy())[1],
    )
    synth = WordSynth(seed=20261121)
    reader.predict([synth[i].image for i in range(16)])
    batch = next(int8_cache._word_batches(model))
    # the predictor reads crops sorted by width; the same rows, in another order
    assert batch.shape == words[0].shape
    assert sorted(map(bytes, batch)) == sorted(map(bytes, words[0]))


def test_fast_preset_runs_the_shipped_pair_as_fp32_on_onnx_runtime(cache: Path) -> None:
    """int8 costs the PP-OCRv6 pair too much, so `fast` runs their plain fp32 export on
    ONNX Runtime: the same numbers as torch, the same words."""
    from ocrstudio.core.geometry import crop_polygon
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor
    from ocrstudio.services.ocr import build_ocr, resolve_model
    from tests.support.rendered_words import rendered_line

    det, rec = resolve_model(None, "detector", "fast"), resolve_model(None, "recognizer", "fast")
    fast = build_ocr(det, rec, "cpu", "fast")
    assert fast.det.runner is not None and fast.rec.runner is not None
    assert fast.det.runner.path.parent.name == "fp32" == fast.rec.runner.path.parent.name
    # one export serves every input size (int8 is calibrated at one)
    assert int8_cache.int8_path(det, 1280, quantized=False) == fast.det.runner.path
    image, boxes = rendered_line(["OPEN", "DAILY", "7AM"])
    torch_det = DetectionPredictor.from_checkpoint(det, "cpu", limit_side=fast.det.limit_side)
    batch = torch_det.normalize(torch_det.prepare([image])[0])
    with torch.inference_mode():
        ref = torch_det.model(torch.from_numpy(batch))["prob"].numpy()
    assert np.abs(fast.det.runner(batch) - ref).max() < 1e-3 and ref.max() > 0.9
    # fast pads a batch of short words to 160 pixels, not the model's 320 (accurate's)
    assert fast.rec.spec.min_width == 160 < build_ocr(det, rec, "cpu").rec.spec.min_width
    torch_rec = RecognitionPredictor.from_checkpoint(rec, "cpu", min_width=160)
    crops = [crop_polygon(image, b, 0.1) for b in boxes]
    x = torch_rec.prepare(crops)
    assert x.shape[-1] == 160
    with torch.inference_mode():
        logits = torch_rec.model.logits(x).numpy()
    assert np.abs(fast.rec.runner(x.numpy()) - logits).max() < 1e-3
    # the ONNX path prepares, normalises and decodes in numpy: the same readings as torch
    ours, theirs = fast.rec.predict(crops), torch_rec.predict(crops)
    assert [r.text for r in ours] == [r.text for r in theirs] == ["OPEN", "DAILY", "7AM"]
    assert np.allclose([r.score for r in ours], [r.score for r in theirs], atol=1e-3)
    assert all(np.allclose(a.char_spans, b.char_spans) for a, b in zip(ours, theirs, strict=True))
    assert [r.text for r in fast.predict(image).regions] == ["OPEN", "DAILY", "7AM"]
