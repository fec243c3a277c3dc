"""A recognizer's fine-tune keeps its per-frame distributions near its base's
(`FineTune.keep_base`, learning without forgetting): the weight of that term moves the
fine-tuned model less far from what the base read."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ocrstudio.core.errors import InputError
from ocrstudio.engine.spec import FineTune
from ocrstudio.engine.zoo import load_recognizer
from ocrstudio.training.finetune import check_settings, keeps_base
from tests.support.models import save_tiny_models
from tests.support.rendered_words import WORDS, render


def _crops(model: torch.nn.Module) -> torch.Tensor:
    from ocrstudio.engine.recognition.preprocess import prepare_crops

    return prepare_crops([render(w) for w in WORDS], model.config.input)


def test_the_base_term_is_nothing_at_the_start_and_pulls_a_drifted_model_back(
    tmp_path: Path,
) -> None:
    _, rec = save_tiny_models(tmp_path / "det", tmp_path / "rec")
    model, _ = load_recognizer(rec, "cpu")
    loss = keeps_base(model, FineTune(keep_base=1.0))
    assert loss is not None and keeps_base(model, FineTune()) is None
    images = _crops(model)
    texts = ["".join(ch for ch in w if ch in model.charset.chars) for w in WORDS]
    parts = loss(model, images, texts)
    assert float(parts["keep"]) == pytest.approx(0.0, abs=1e-6)  # the model is its base
    assert float(parts["loss"].detach()) == pytest.approx(float(parts["ctc"]), rel=1e-5)
    model.eval()  # BatchNorm as a fine-tune keeps it (frozen statistics)
    with torch.no_grad():  # a fine-tune moved the classifier
        model.head.weight.add_(0.5 * torch.randn_like(model.head.weight))
    drifted = loss(model, images, texts)["keep"]
    assert float(drifted) > 0.01
    optimizer = torch.optim.SGD([model.head.weight], lr=1.0)
    for _ in range(20):  # the term alone leads back to the base
        optimizer.zero_grad()
        loss.divergence(model.logits(images), images).backward()
        optimizer.step()
    assert float(loss(model, images, texts)["keep"]) < 0.75 * float(drifted)
    assert all(not p.requires_grad for p in loss.base.parameters())  # never trained


def test_a_negative_base_weight_is_refused() -> None:
    with pytest.raises(InputError, match="keep_base"):
        check_settings(FineTune(keep_base=-1.0))
