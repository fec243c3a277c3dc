"""DetectionPredictor: resizing, batching, coordinates back in the original image, and
checkpoints that round-trip through engine.zoo.load_model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from ocrstudio.core.geometry import polygon_iou
from ocrstudio.engine.card import InputSize, ModelCard
from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.detection.postprocess import PostProcessConfig
from ocrstudio.engine.detection.predictor import DetectionPredictor, resized_shape
from ocrstudio.engine.detection.zoo import DETECTORS, detector_card
from ocrstudio.engine.zoo import load_model


@pytest.mark.parametrize(
    ("h", "w", "limit", "want"),
    [
        (720, 1280, 1280, (736, 1280)),  # ICDAR 2015 photo: the reference's 736 test height
        (300, 500, 1280, (288, 512)),  # small images are not blown up, only rounded to x32
        (4000, 3000, 1280, (1280, 960)),  # long side brought down to the limit
        (10, 10, 1280, (32, 32)),
        (100, 5000, 1000, (32, 992)),  # the limit itself rounded down to a multiple of 32
    ],
)
def test_resized_shape(h: int, w: int, limit: int, want: tuple[int, int]) -> None:
    assert resized_shape(h, w, limit) == want


class BrightIsText(nn.Module):
    """Stand-in detector: probability 1 where the (normalised) image is brighter than
    the mean colour, so a drawn white box is exactly the text region."""

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return {"prob": (x.mean(dim=1, keepdim=True) > 0).float()}


def _image(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    x0, y0, x1, y1 = box
    img[y0:y1, x0:x1] = 255
    return img


def test_regions_come_back_in_original_coordinates_for_a_padded_batch() -> None:
    card = ModelCard("stub", input=InputSize(limit_side=640))
    pred = DetectionPredictor.from_card(
        BrightIsText(), card, device="cpu", postprocess=PostProcessConfig(unclip_ratio=0.0)
    )
    boxes = [(100, 200, 400, 260), (30, 40, 200, 90)]
    images = [_image(600, 1000, boxes[0]), _image(300, 300, boxes[1])[:, :, 0]]  # gray too
    results = pred.predict_batch(images)
    assert [len(r) for r in results] == [1, 1]
    for regions, (x0, y0, x1, y1) in zip(results, boxes, strict=True):
        gt = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        assert polygon_iou(gt, regions[0].polygon.points) > 0.9
        assert regions[0].provenance == "stub" and regions[0].det_score == pytest.approx(1.0)
    assert set(pred.timings) == {"resize_ms", "forward_ms", "postprocess_ms", "images"}
    assert pred.timings["images"] == 2
    with pytest.raises(ValueError, match="uint8"):
        pred.predict(np.zeros((10, 10, 3), np.float32))


def _tiny_model() -> nn.Module:
    torch.manual_seed(0)
    spec = DETECTORS["dbnet_resnet18"]
    model = spec.build(spec.config("tiny"), None)
    model.train()
    with torch.no_grad():  # a few batches so BN running stats are not the defaults
        for _ in range(3):
            model(torch.randn(2, 3, 64, 64))
    return model.eval()


def test_checkpoint_round_trip_through_the_zoo(tmp_path: Path) -> None:
    model = _tiny_model()
    cfg = DETECTORS["dbnet_resnet18"].config("tiny")
    card = detector_card(
        "dbnet_resnet18",
        cfg,
        lineage={"parent": None},
        metrics={"hmean": 0.5},
        name="dbnet_resnet18@test",
    )
    save_checkpoint(tmp_path / "det", model.state_dict(), card)
    loaded, got = load_model(tmp_path / "det")
    assert got.role == "detector" and got.architecture == "dbnet_resnet18"
    assert got.normalization is not None and got.normalization.mean == (0.485, 0.456, 0.406)
    assert got == card  # every field comes back as written
    assert loaded.config == cfg  # the frozen config comes back equal, tuples and all
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)["prob"], model(x)["prob"])
    pred = DetectionPredictor.from_checkpoint(tmp_path / "det", device="cpu")
    assert pred.name == "dbnet_resnet18@test" and pred.limit_side == cfg.limit_side
    assert pred.postprocess == cfg.postprocess
    regions = pred.predict(np.full((90, 120, 3), 127, np.uint8))
    assert all(r.provenance == "dbnet_resnet18@test" for r in regions)


def test_forced_device_and_half_flag() -> None:
    pred = DetectionPredictor(
        _tiny_model(), DETECTORS["dbnet_resnet18"].config("tiny"), device="cpu", name="tiny"
    )
    assert pred.device.type == "cpu" and pred.half is False
    assert pred.limit_side == 640 and pred.name == "tiny"
    assert isinstance(pred.predict(np.zeros((50, 70, 3), np.uint8)), list)
