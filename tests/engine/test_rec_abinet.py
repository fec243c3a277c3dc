"""ABINet vision model: the published structure, recognition contract, learning, checkpoints."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.engine.checkpoint import save_checkpoint
from ocrstudio.engine.recognition.abinet import (
    DEFAULT_CFGS,
    ABINetVision,
    BasicBlock,
    ResNet45,
)
from ocrstudio.engine.recognition.predictor import recognize
from ocrstudio.engine.recognition.preprocess import prepare_crops
from ocrstudio.engine.zoo import get_spec, load_model, new_card
from tests.support.rendered_words import WORDS, render

CONFIGS = DEFAULT_CFGS["abinet_vision"]


def train_until_read(
    model: torch.nn.Module, words: list[str], max_steps: int, lr: float = 3e-3
) -> int:
    """Adam on one batch of rendered words until >= 7 read back; returns how many read."""
    x = prepare_crops([render(w) for w in words], model.config.input)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    read = 0
    for step in range(1, max_steps + 1):
        loss = model(x, words)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            read = sum(r.text == w for r, w in zip(recognize(model, x), words, strict=True))
            if read >= 7:
                break
    return read


def test_full_config_is_the_published_network() -> None:
    cfg = CONFIGS["full"]
    backbone = ResNet45(cfg)
    blocks = [m for m in backbone.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 3 + 4 + 6 + 6 + 3
    with torch.no_grad():
        feats = backbone.eval()(torch.zeros(1, 3, 32, 128))
    assert feats.shape == (1, 512, 8, 32)
    model = ABINetVision(cfg, Charset.default())
    assert len(model.encoder.layers) == 3
    layer = model.encoder.layers[0]
    assert layer.self_attn.num_heads == 8 and layer.linear1.out_features == 2048
    assert model.projection is None  # cross-entropy objective: no ConCLR head


def test_forward_contract_and_recognize_keeps_mode() -> None:
    cs = Charset("abc")
    model = ABINetVision(CONFIGS["tiny"], cs)
    x = torch.randn(3, 3, 32, 128)
    logits = model(x)["logits"]
    assert logits.shape == (3, 26, len(cs) + 1)  # 25 characters + stop, EOS + chars
    out = model(x, ["ab", "", "c" * 25])
    assert out["loss"].requires_grad and torch.isfinite(out["loss"])
    model.train()
    results = recognize(model, x)
    assert model.training and len(results) == 3
    for r in results:
        assert 0.0 <= r.score <= 1.0 and len(r.char_scores) == len(r.text)
    with pytest.raises(ValueError):
        ABINetVision(dataclasses.replace(CONFIGS["tiny"], objective="ctc"), cs)


def test_checkpoint_round_trip_keeps_conclr_head(tmp_path) -> None:
    cs = Charset.default()
    spec = get_spec("abinet_vision")
    model = spec.build(spec.config("tiny_conclr"), cs).eval()
    assert model.projection is not None
    save_checkpoint(tmp_path / "abinet", model.state_dict(), new_card(spec, model))
    loaded, _ = load_model(tmp_path / "abinet")
    assert loaded.config == model.config and loaded.charset == cs
    x = torch.randn(2, 3, 32, 128)
    with torch.no_grad():
        assert torch.equal(model(x)["logits"], loaded(x)["logits"])
    assert torch.equal(model.projection.fc2.weight, loaded.projection.fc2.weight)


def test_extend_charset_keeps_old_classes() -> None:
    torch.manual_seed(0)
    model = ABINetVision(CONFIGS["tiny"], Charset("abc")).eval()
    x = torch.randn(2, 3, 32, 128)
    with torch.no_grad():
        before = model(x)["logits"]
        model.extend_charset(Charset("abc").extended(["é中"]))
        after = model(x)["logits"]
    assert after.shape[-1] == 6 and model.tokenizer.num_classes == 6
    torch.testing.assert_close(after[..., :4], before)
    assert model(x, ["中é", "a"])["loss"].isfinite()
    with pytest.raises(ValueError):
        model.extend_charset(Charset("xyz"))


@pytest.mark.slow
def test_tiny_reads_back_words_it_trained_on() -> None:
    torch.manual_seed(0)
    model = ABINetVision(CONFIGS["tiny"], Charset.default())
    assert train_until_read(model, WORDS, max_steps=300) >= 7
