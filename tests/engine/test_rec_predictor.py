"""RecognitionPredictor: batching by width keeps the input order, checkpoints round trip
with their charset, and bad crops get a clear answer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.core.errors import OcrStudioError
from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.device import pick_device
from ocrstudio.engine.recognition.crnn import build_crnn, build_crnn_g2
from ocrstudio.engine.recognition.predictor import RecognitionPredictor, recognize
from ocrstudio.engine.recognition.preprocess import RecInput, prepare_crops
from ocrstudio.engine.recognition.zoo import RECOGNIZERS
from ocrstudio.engine.zoo import new_card


def _crops(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.integers(
            0, 256, (int(rng.integers(12, 40)), int(rng.integers(10, 200)), 3), dtype=np.uint8
        )
        for _ in range(n)
    ]


def _model(name: str, charset: Charset, **overrides: object) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = dataclasses.replace(RECOGNIZERS[name].config("tiny"), **overrides)
    return RECOGNIZERS[name].build(cfg, charset).eval()


def test_batches_sorted_by_width_come_back_in_input_order() -> None:
    model = _model("crnn", Charset.default())
    crops = _crops(7)
    got = RecognitionPredictor(model, device="cpu", batch_size=3).predict(crops)
    one_by_one = [recognize(model, prepare_crops([c], model.config.input))[0] for c in crops]
    assert [r.text for r in got] == [r.text for r in one_by_one]
    assert [r.score for r in got] == pytest.approx([r.score for r in one_by_one], rel=1e-4)


@pytest.mark.parametrize("name", ["crnn", "abinet_vision", "clip4str_base"])
def test_recognize_reads_in_eval_and_inference_mode_and_restores_the_mode(name: str) -> None:
    model = _model(name, Charset("abc"))
    seen: list[tuple[bool, bool]] = []
    read = model.read

    def spy(images: torch.Tensor) -> list:
        seen.append((model.training, torch.is_inference_mode_enabled()))
        return read(images)

    model.read = spy  # type: ignore[method-assign]
    x = torch.randn(
        2, model.config.input.channels, model.config.input.height, model.config.input.width
    )
    for training in (True, False):
        model.train(training)
        assert len(recognize(model, x)) == 2
        assert model.training == training
    assert seen == [(False, True), (False, True)]


def test_dynamic_width_batches_are_padded_only_to_their_widest_crop() -> None:
    spec = RecInput(32, 256, 1, (0.5,), (0.5,), keep_ratio=True, dynamic_width=True)
    model = _model("crnn_g2", Charset.default(), input=spec)
    seen: list[int] = []
    read = model.read

    def spy(images: torch.Tensor) -> list:
        seen.append(images.shape[-1])
        return read(images)

    model.read = spy  # type: ignore[method-assign]
    crops = _crops(6, seed=1)
    got = RecognitionPredictor(model, device="cpu", batch_size=2).predict(crops)
    assert len(got) == 6 and all(0.0 <= r.score <= 1.0 for r in got)
    widths = sorted(prepare_crops([c], spec).shape[-1] for c in crops)
    # sorted by width, each batch of two is as wide as its wider crop, no wider
    assert seen == [widths[1], widths[3], widths[5]]
    assert len(set(widths)) > 2


def test_paddleocr_padding_is_the_normalised_zero_up_to_a_minimum_width() -> None:
    """PP-OCRv6's recognizer learned on 48 x 320 inputs padded with zeros after
    normalisation; edge padding to the widest crop cost it 1.6 points of ICDAR 2015 words."""
    crops = [np.full((24, 20, 3), 255, np.uint8), np.full((24, 50, 3), 255, np.uint8)]
    spec = RecInput(
        48,
        800,
        3,
        (0.5,) * 3,
        (0.5,) * 3,
        keep_ratio=True,
        dynamic_width=True,
        pad="mean",
        min_width=320,
    )
    x = prepare_crops(crops, spec)
    assert x.shape == (2, 3, 48, 320)
    assert torch.all(x[0, :, :, :40] == 1.0) and torch.all(x[0, :, :, 40:] == 0.0)
    assert torch.all(x[1, :, :, :100] == 1.0) and torch.all(x[1, :, :, 100:] == 0.0)
    edge = prepare_crops(crops, dataclasses.replace(spec, pad="edge", min_width=0))
    assert edge.shape[-1] == 104 and torch.all(edge[0] == 1.0)
    with pytest.raises(ValueError, match="pad"):
        dataclasses.replace(spec, pad="reflect")
    assert RECOGNIZERS["ppocr_rec_v6"].config("full").input.pad == "mean"


def test_empty_crops_and_bad_pixels() -> None:
    predictor = RecognitionPredictor(_model("crnn", Charset.default()), device="cpu")
    results = predictor([np.zeros((0, 10, 3), np.uint8), _crops(1)[0]])
    assert results[0].text == "" and results[0].score == 0.0
    assert len(results) == 2
    assert predictor([]) == []
    with pytest.raises(ValueError, match="uint8"):
        predictor([np.zeros((10, 10, 3), np.float32)])


def test_checkpoint_round_trip_keeps_charset_and_outputs(tmp_path: Path) -> None:
    charset = Charset("中文字abc é")
    model = build_crnn(RECOGNIZERS["crnn"].config("tiny"), charset).eval()
    save_checkpoint(tmp_path / "rec", model.state_dict(), new_card(RECOGNIZERS["crnn"], model))
    predictor = RecognitionPredictor.from_checkpoint(tmp_path / "rec", device="cpu")
    assert predictor.charset == charset
    assert predictor.model.config == model.config
    crops = _crops(4)
    expected = RecognitionPredictor(model, device="cpu").predict(crops)
    assert predictor.predict(crops) == expected


def test_g2_checkpoint_round_trip(tmp_path: Path) -> None:
    charset = Charset.default()
    model = build_crnn_g2(RECOGNIZERS["crnn_g2"].config("full"), charset).eval()
    save_checkpoint(
        tmp_path / "g2.safetensors",
        model.state_dict(),
        new_card(RECOGNIZERS["crnn_g2"], model),
        half=True,
    )
    predictor = RecognitionPredictor.from_checkpoint(tmp_path / "g2.safetensors", "cpu")
    assert predictor.spec == model.config.input and predictor.spec.dynamic_width
    assert len(predictor.predict(_crops(2))) == 2


def test_auto_device_is_cuda_only_when_present() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device("auto").type == expected
    assert pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(OcrStudioError, match="no CUDA GPU"):
            pick_device("cuda")
        with pytest.raises(OcrStudioError, match="no CUDA GPU"):
            RecognitionPredictor.from_checkpoint("unused.safetensors", "cuda")
