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
    model.eval()  # BatchNorm as a fine-tune keeps it (frozen statistics)
    with torch.no_grad():
        texts = [r.text or "a" for r in model.read(images)]  # what the base reads: right
    parts = loss(model, images, texts)
    assert float(parts["keep"]) == pytest.approx(0.0, abs=1e-6)  # the model is its base
    assert float(parts["loss"].detach()) == pytest.approx(float(parts["ctc"]), rel=1e-5)
    with torch.no_grad():  # a fine-tune moved the classifier
        model.head.weight.add_(0.5 * torch.randn_like(model.head.weight))
    drifted = loss(model, images, texts)["keep"]
    assert float(drifted) > 0.01
    optimizer = torch.optim.SGD([model.head.weight], lr=1.0)
    for _ in range(20):  # the term alone leads back to the base
        optimizer.zero_grad()
        loss.divergence(model.logits(images), loss.base_logits(images)).backward()
        optimizer.step()
    assert float(loss(model, images, texts)["keep"]) < 0.75 * float(drifted)
    assert all(not p.requires_grad for p in loss.base.parameters())  # never trained
    wrong = [t + "x" for t in texts]  # crops the base misreads: the labels teach alone
    assert float(loss(model, images, wrong)["keep"]) == 0.0


def test_a_negative_base_weight_is_refused() -> None:
    with pytest.raises(InputError, match="keep_base"):
        check_settings(FineTune(keep_base=-1.0))


def test_a_detector_keeps_its_base_where_its_labels_say_nothing(tmp_path: Path) -> None:
    from ocrstudio.engine.zoo import load_detector

    det, _ = save_tiny_models(tmp_path / "det", tmp_path / "rec")
    model, _ = load_detector(det, "cpu")
    loss = keeps_base(model, FineTune(keep_base=1.0))
    assert loss is not None
    model.train()
    images = torch.rand(2, 3, 64, 64)
    text = torch.zeros(2, 64, 64)
    text[:, 20:30, 10:50] = 1.0
    unsaid = torch.ones(2, 64, 64)
    unsaid[:, 40:56, 8:56] = 0.0  # a don't-care word
    targets = {
        "shrink_map": text,
        "shrink_mask": unsaid,
        "thresh_map": torch.full((2, 64, 64), 0.3),
        "thresh_mask": text,
    }
    start = loss(model, images, targets)
    assert float(start["keep"]) == pytest.approx(0.0, abs=1e-3)  # the model is its base
    with torch.no_grad():  # a fine-tune moved the probability head: sure of no text
        model.head.prob[-1].bias.fill_(-8.0)
    moved = loss(model, images, targets)
    assert float(moved["keep"]) > 1.0
    assert float(moved["loss"].detach()) > float(moved["loss_prob"].detach())  # the term counts
    # the base sees text everywhere: outside the labelled word it is kept even where
    # nothing is don't-care; labelled as text all over, nothing is left to keep
    seen = dict(targets, shrink_mask=torch.ones(2, 64, 64))
    assert float(loss(model, images, seen)["keep"]) > 1.0
    said = dict(seen, shrink_map=torch.ones(2, 64, 64))
    assert float(loss(model, images, said)["keep"]) == 0.0
