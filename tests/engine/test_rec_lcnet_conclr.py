"""`lcnet_abinet_conclr` (rec_conclr's architecture): ABINet's decoder on the PP-OCRv6
trunk, trained with ConCLR. Tiny configs only, plus the shipped model on real crops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.recognition.lcnet_attn import LCNetAttn, feature_views
from ocrstudio.engine.recognition.predictor import recognize
from ocrstudio.engine.zoo import get_spec, load_recognizer, new_card

CHARSET = Charset("abcdefgh")
SPEC = get_spec("lcnet_abinet_conclr")


def _tiny(config: str = "tiny") -> LCNetAttn:
    torch.manual_seed(0)
    model = SPEC.build(SPEC.config(config), CHARSET)
    assert isinstance(model, LCNetAttn)
    return model


def _images(n: int = 4, width: int = 64) -> torch.Tensor:
    x = torch.randn(n, 3, 48, width, generator=torch.Generator().manual_seed(1))
    x[1:, :, :, 40:] = 0.0  # PaddleOCR's padding: the normalised zero right of the crop
    return x


def test_forward_gives_one_row_of_logits_per_reading_position() -> None:
    model = _tiny().eval()
    logits = model(_images())["logits"]
    assert logits.shape == (4, model.config.max_length + 1, len(CHARSET) + 1)


def test_the_conclr_objective_has_its_contrastive_term_and_trains_the_head() -> None:
    model = _tiny().train()
    out = model(_images(), ["ab", "cde", "f", "ghab"])
    assert {"loss", "loss_rec", "loss_view1", "loss_view2", "loss_clr"} <= set(out)
    assert all(torch.isfinite(v) for v in out.values())
    assert float(out["loss_clr"]) > 0
    out["loss"].backward()
    assert model.projection is not None
    assert model.projection.fc1.weight.grad is not None
    assert model.cls.weight.grad is not None


def test_the_ce_objective_has_no_head() -> None:
    model = _tiny("tiny_ce").train()
    out = model(_images(), ["ab", "cde", "f", "ghab"])
    assert model.projection is None and "loss_clr" not in out


def test_conaug_on_features_joins_valid_parts_and_labels_in_the_same_order() -> None:
    feats = torch.arange(2 * 3 * 6, dtype=torch.float32).view(2, 3, 6)
    valid = torch.tensor([2, 4])
    pad = torch.full((3,), -1.0)
    v1, v2 = feature_views(
        feats,
        valid,
        ["ab", "cdef"],
        pad,
        min_len=8,
        max_length=5,
        generator=torch.Generator().manual_seed(0),
    )
    for v in (v1, v2):
        assert v.feats.shape[2] >= 8
        for i, text in enumerate(v.texts):
            own = ("ab", "cdef")[i]
            joined = {(a + b)[:5] for m in ("ab", "cdef") for a, b in ((own, m), (m, own))}
            assert text in joined
            n = int(v.valid[i])
            assert n in (4, 6, 8)  # the two crops' valid features side by side
            assert torch.all(v.feats[i, :, n:] == -1.0)  # then the padding column


def test_compute_loss_finds_where_the_zero_padding_starts() -> None:
    model = _tiny().train()
    seen = {}

    def spy(feats: torch.Tensor, valid: torch.Tensor, texts: list[str]) -> dict:
        seen["valid"] = valid.tolist()
        return {"loss": feats.sum() * 0}

    setattr(model, "feature_loss", spy)  # noqa: B010 (mypy: a method replaced)
    model.compute_loss(_images(3, 64), ["a", "b", "c"])
    assert seen["valid"] == [8, 5, 5]  # 64 pixels -> 8 features; 40 pixels -> 5


def test_read_and_a_save_load_round_trip(tmp_path: Path) -> None:
    model = _tiny()
    with torch.no_grad():
        model.pad_column.fill_(0.25)
    images = _images()
    before = recognize(model, images)
    assert len(before) == 4 and all(0.0 <= r.score <= 1.0 for r in before)
    save_checkpoint(tmp_path / "m", model.state_dict(), new_card(SPEC, model, "tiny"))
    found, card = load_recognizer(tmp_path / "m")
    loaded: Any = found
    assert card.architecture == "lcnet_abinet_conclr"
    assert [r.text for r in recognize(loaded, images)] == [r.text for r in before]
    assert torch.equal(loaded.state_dict()["pad_column"], model.pad_column)


def test_the_trunk_stays_frozen_in_the_full_config() -> None:
    cfg = SPEC.config("full")
    assert cfg.freeze_trunk and cfg.objective == "conclr"
    model: Any = SPEC.build(cfg, Charset.default()).train()
    assert not any(p.requires_grad for p in model.backbone.stages.parameters())
    assert all(p.requires_grad for p in model.backbone.neck.parameters())
    assert not model.backbone.stem.training


# The shipped model on real IIIT5K/SVT validation crops (K % 10 == 0) it reads right.
REAL_CROPS = {
    "iiit5k_train/images/100.jpg": "TRUTANICH",
    "iiit5k_train/images/1000.jpg": "the",
    "iiit5k_train/images/1010.jpg": "HELL",
    "iiit5k_train/images/1020.jpg": "PRISONERS.",
    "svt_train/images/10.jpg": "LULA",
    "svt_train/images/100.jpg": "GRAND",
}


@pytest.mark.data
def test_the_shipped_rec_conclr_reads_real_crops(shared_data: Path) -> None:
    from ocrstudio.core.images import read_image
    from ocrstudio.core.metrics import normalize_36
    from ocrstudio.engine.recognition.predictor import RecognitionPredictor

    folder = Path(__file__).resolve().parents[2] / "resources" / "models" / "rec_conclr"
    pred = RecognitionPredictor.from_checkpoint(folder, device="cpu")
    crops, truth = [], []
    for name, text in REAL_CROPS.items():
        crops.append(read_image(shared_data / "words_train" / name))
        truth.append(text)
    reads = pred.predict(crops)
    assert [normalize_36(r.text) for r in reads] == [normalize_36(t) for t in truth]
    assert np.mean([r.score for r in reads]) > 0.5
