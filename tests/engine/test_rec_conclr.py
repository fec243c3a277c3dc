"""ConCLR: ConAug images and labels, the vectorised contrastive loss against a plain loop,
the composed objective, and a tiny ABINet trained with it."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ocrstudio.core.charset import Charset
from ocrstudio.engine.recognition.abinet import DEFAULT_CFGS, ABINetVision
from ocrstudio.engine.recognition.conclr import (
    ProjectionHead,
    char_contrastive_loss,
    con_aug,
    concat_pairs,
)
from ocrstudio.engine.recognition.predictor import recognize
from ocrstudio.engine.recognition.preprocess import prepare_crops
from tests.support.rendered_words import WORDS, render

CONFIGS = DEFAULT_CFGS["abinet_vision"]


def halves(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    w = img.shape[-1] // 2
    return img[..., :w], img[..., w:]


def test_concat_pairs_left_half_is_first_image_resized() -> None:
    a, b = torch.rand(2, 3, 32, 128), torch.rand(2, 3, 32, 128)
    out = concat_pairs(a, b, (32, 128))
    assert out.shape == (2, 3, 32, 128)
    left, right = halves(out)
    assert torch.allclose(left, F.interpolate(a, size=(32, 64), mode="bilinear"), atol=1e-6)
    assert torch.allclose(right, F.interpolate(b, size=(32, 64), mode="bilinear"), atol=1e-6)
    # and halving the width averages neighbouring columns of one image
    assert torch.allclose(left, 0.5 * (a[..., 0::2] + a[..., 1::2]), atol=1e-6)


def test_con_aug_pixels_and_labels_left_and_right() -> None:
    n = 12
    images = torch.rand(n, 3, 32, 128)
    texts = [f"w{i}" for i in range(n)]
    views = con_aug(images, texts, max_length=25, generator=torch.Generator().manual_seed(3))
    sides = torch.cat([v.original_left for v in views])
    assert sides.any() and (~sides).any()  # both placements occur in this draw
    assert not torch.equal(views[0].partner, views[1].partner)  # two permutations
    for view in views:
        assert sorted(view.partner.tolist()) == list(range(n))
        for i in range(n):
            mate = int(view.partner[i])
            first, second = (i, mate) if view.original_left[i] else (mate, i)
            left, right = halves(view.images[i])
            assert torch.allclose(
                left,
                F.interpolate(images[first : first + 1], size=(32, 64), mode="bilinear")[0],
                atol=1e-6,
            )
            assert torch.allclose(
                right,
                F.interpolate(images[second : second + 1], size=(32, 64), mode="bilinear")[0],
                atol=1e-6,
            )
            assert view.texts[i] == texts[first] + texts[second]


def test_con_aug_clips_labels_at_max_length() -> None:
    images = torch.rand(2, 3, 32, 128)
    texts = ["a" * 20, "b" * 15]
    for seed in range(6):
        view, _ = con_aug(
            images, texts, max_length=25, generator=torch.Generator().manual_seed(seed)
        )
        for i in range(2):
            mate = int(view.partner[i])
            whole = (texts[i] + texts[mate]) if view.original_left[i] else (texts[mate] + texts[i])
            assert view.texts[i] == whole[:25]
            assert len(view.texts[i]) == 25


def loop_loss(z1, z2, y1, y2, v1, v2, tau) -> torch.Tensor:
    """The supervised contrastive loss written plainly, one sample and anchor at a time."""
    total = 0.0
    for b in range(z1.shape[0]):
        feats = [z1[b, t] for t in range(z1.shape[1]) if v1[b, t]]
        feats += [z2[b, t] for t in range(z2.shape[1]) if v2[b, t]]
        labels = [int(y1[b, t]) for t in range(y1.shape[1]) if v1[b, t]]
        labels += [int(y2[b, t]) for t in range(y2.shape[1]) if v2[b, t]]
        pair = 0.0
        for i in range(len(feats)):
            others = [a for a in range(len(feats)) if a != i]
            pos = [p for p in others if labels[p] == labels[i]]
            if not pos:
                continue
            denom = sum(math.exp(float(feats[i] @ feats[a]) / tau) for a in others)
            pair += -sum(float(feats[i] @ feats[p]) / tau - math.log(denom) for p in pos) / len(pos)
        total += pair
    return torch.tensor(total / z1.shape[0], dtype=torch.float64)


def test_vectorised_contrastive_loss_equals_plain_loop() -> None:
    g = torch.Generator().manual_seed(0)
    for trial in range(3):
        b, t, d = 4, 7, 16
        z1 = F.normalize(torch.randn(b, t, d, generator=g, dtype=torch.float64), dim=-1)
        z2 = F.normalize(torch.randn(b, t, d, generator=g, dtype=torch.float64), dim=-1)
        y1 = torch.randint(1, 5, (b, t), generator=g)  # few classes: many positives
        y2 = torch.randint(1, 5, (b, t), generator=g)
        v1 = torch.rand(b, t, generator=g) < 0.7
        v2 = torch.rand(b, t, generator=g) < 0.7
        v1[0] = False
        v2[0, 1:] = False  # sample 0: a single character, no positive at all
        got = char_contrastive_loss(z1, z2, y1, y2, v1, v2, temperature=2.0)
        want = loop_loss(z1, z2, y1, y2, v1, v2, 2.0)
        assert torch.allclose(got, want, atol=1e-9), (trial, got, want)


def test_contrastive_loss_pulls_same_characters_together() -> None:
    y = torch.tensor([[1, 2, 1, 2]])
    v = torch.ones(1, 4, dtype=torch.bool)
    e = torch.eye(4)
    aligned = torch.stack([e[0], e[1], e[0], e[1]]).unsqueeze(0)  # same class, same vector
    crossed = torch.stack([e[0], e[1], e[1], e[0]]).unsqueeze(0)
    good = char_contrastive_loss(aligned, aligned, y, y, v, v, 2.0)
    bad = char_contrastive_loss(crossed, crossed, y, y, v, v, 2.0)
    assert good < bad


def test_projection_head_gives_unit_vectors() -> None:
    head = ProjectionHead(64, 64, 32)
    z = head(torch.randn(2, 26, 64))
    assert z.shape == (2, 26, 32)
    assert torch.allclose(z.norm(dim=-1), torch.ones(2, 26), atol=1e-5)


def test_objective_weights_rec_views_and_contrastive() -> None:
    torch.manual_seed(1)
    model = ABINetVision(CONFIGS["tiny_conclr"], Charset.default())
    out = model(torch.randn(4, 3, 32, 128), ["ab", "cde", "f", "ghij"])
    want = (
        out["loss_rec"] + 0.5 * out["loss_view1"] + 0.5 * out["loss_view2"] + 0.2 * out["loss_clr"]
    )
    assert torch.allclose(out["loss"].detach(), want)
    assert out["loss_clr"] > 0
    out["loss"].backward()
    assert model.projection.fc1.weight.grad is not None


@pytest.mark.slow
def test_tiny_conclr_reads_back_words_it_trained_on() -> None:
    torch.manual_seed(0)
    model = ABINetVision(CONFIGS["tiny_conclr"], Charset.default())
    x = prepare_crops([render(w) for w in WORDS], model.config.input)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)  # reads them at step 160 (5e-3: 190)
    read = 0
    for step in range(1, 401):
        loss = model(x, WORDS)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            read = sum(r.text == w for r, w in zip(recognize(model, x), WORDS, strict=True))
            if read >= 7:
                break
    assert read >= 7
