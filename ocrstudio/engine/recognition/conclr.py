"""ConCLR (Zhang et al., AAAI 2022): context-based contrastive learning as a training
objective for an attention recognizer (here the ABINet vision model).

Three pieces, all independent of the network:

* `con_aug`: ConAug. The batch is permuted twice; each sample is concatenated with its
  partner from the permutation, on the left or on the right at random, and the pair is
  resized back to the input size. Labels are concatenated in the same order and clipped
  to the maximum length. The same characters thereby appear in new contexts.
* `ProjectionHead`: Linear(d, hidden), ReLU, Linear(hidden, out), L2 normalised, applied
  to the glimpse vectors (the position-attention outputs before the classifier).
* `char_contrastive_loss`: supervised contrastive loss over the characters of the two
  augmented views of each sample (same character class = positive; stop and padding
  positions take no part), computed for the whole batch at once on any device.

Reduction: per image pair the anchors' losses are summed, as in the paper's L_pair, and
the pairs are averaged over the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ocrstudio.engine.tokenizer import AttnTokenizer


@dataclass(frozen=True)
class ConCLRConfig:
    """Published settings: projection 512-512-128, temperature 2, contrastive weight 0.2,
    recognition losses on (original, view 1, view 2) weighted (1, 0.5, 0.5)."""

    proj_hidden: int = 512
    proj_dim: int = 128
    temperature: float = 2.0
    clr_weight: float = 0.2
    view_weights: tuple[float, float, float] = (1.0, 0.5, 0.5)


@dataclass(frozen=True)
class ConAugView:
    """One augmented view of a batch.

    `images[i]` shows sample i next to sample `partner[i]`; `original_left[i]` says
    whether sample i is the left half. `texts[i]` is the concatenated label, clipped.
    """

    images: Tensor
    texts: list[str]
    partner: Tensor
    original_left: Tensor


def concat_pairs(first: Tensor, second: Tensor, size: tuple[int, int]) -> Tensor:
    """Place `second` right of `first` (both (B, C, H, W)) and resize to `size` (H, W).

    Bilinear without antialiasing: halving the width then averages pixel pairs that lie
    entirely within one image, so the left half of the result is exactly `first`
    resized on its own.
    """
    pair = torch.cat([first, second], dim=3)
    return F.interpolate(pair, size=size, mode="bilinear", align_corners=False)


def con_aug(
    images: Tensor, texts: Sequence[str], max_length: int, generator: torch.Generator | None = None
) -> tuple[ConAugView, ConAugView]:
    """The two ConAug views of a batch (images (B, C, H, W), one text per image)."""
    if images.shape[0] != len(texts):
        raise ValueError(f"{images.shape[0]} images but {len(texts)} texts")
    return (
        _one_view(images, texts, max_length, generator),
        _one_view(images, texts, max_length, generator),
    )


def _one_view(
    images: Tensor, texts: Sequence[str], max_length: int, generator: torch.Generator | None
) -> ConAugView:
    b = images.shape[0]
    # Random draws on the CPU: a CUDA generator is not needed and results do not
    # depend on the device the batch lives on.
    partner = torch.randperm(b, generator=generator)
    left = torch.rand(b, generator=generator) < 0.5
    other = images[partner.to(images.device)]
    keep = left.to(images.device).view(b, 1, 1, 1)
    first = torch.where(keep, images, other)
    second = torch.where(keep, other, images)
    out = concat_pairs(first, second, (images.shape[2], images.shape[3]))
    labels = []
    for i in range(b):
        own, mate = texts[i], texts[int(partner[i])]
        labels.append(((own + mate) if bool(left[i]) else (mate + own))[:max_length])
    return ConAugView(out, labels, partner, left)


class ProjectionHead(nn.Module):
    """Glimpse vectors (..., d) -> unit vectors (..., out) for the contrastive loss."""

    def __init__(self, d_model: int, hidden: int = 512, out: int = 128):
        super().__init__()
        self.fc1 = nn.Linear(d_model, hidden)
        self.fc2 = nn.Linear(hidden, out)

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.fc2(F.relu(self.fc1(x))), dim=-1)


def char_contrastive_loss(
    z1: Tensor,
    z2: Tensor,
    labels1: Tensor,
    labels2: Tensor,
    valid1: Tensor,
    valid2: Tensor,
    temperature: float = 2.0,
) -> Tensor:
    """Supervised contrastive loss over the characters of two views, per sample.

    z1, z2: (B, T, D) unit embeddings of each position of view 1 / view 2.
    labels1, labels2: (B, T) class per position; valid1, valid2: (B, T) bool, True at
    character positions (False at stop and padding, which are no anchor, positive or
    negative). For sample b the set I holds the valid positions of both views; an anchor
    i with at least one positive contributes
    -1/|P(i)| sum_{p in P(i)} log( exp(s_ip) / sum_{a in I, a != i} exp(s_ia) ),
    s = z.z / temperature, P(i) = other positions of I with i's class. Returns the mean
    over samples of the per-sample sum over anchors.
    """
    z = torch.cat([z1, z2], dim=1)
    y = torch.cat([labels1, labels2], dim=1)
    v = torch.cat([valid1, valid2], dim=1)
    n = z.shape[1]
    sim = z @ z.transpose(1, 2) / temperature  # (B, 2T, 2T)
    not_self = ~torch.eye(n, dtype=torch.bool, device=z.device)
    others = v.unsqueeze(1) & v.unsqueeze(2) & not_self  # pairs of valid, distinct positions
    positives = others & (y.unsqueeze(1) == y.unsqueeze(2))
    log_denom = torch.logsumexp(sim.masked_fill(~others, float("-inf")), dim=2, keepdim=True)
    # where() rather than multiply: rows without any other valid position have a -inf
    # denominator, and 0 * inf would poison the sum with NaN.
    log_prob = torch.where(positives, sim - log_denom, torch.zeros_like(sim))
    n_pos = positives.sum(dim=2)
    per_anchor = -log_prob.sum(dim=2) / n_pos.clamp(min=1)
    per_sample = torch.where(n_pos > 0, per_anchor, torch.zeros_like(per_anchor)).sum(dim=1)
    return per_sample.mean()


def conclr_objective(
    glimpses_and_logits: Callable[[Tensor], tuple[Tensor, Tensor]],
    head: ProjectionHead,
    images: Tensor,
    texts: Sequence[str],
    tokenizer: AttnTokenizer,
    cfg: ConCLRConfig,
    generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """The full ConCLR loss for an attention recognizer.

    `glimpses_and_logits(images)` runs the network: (B, T, d) glimpse vectors and
    (B, T, classes) logits with T = tokenizer.max_len + 1. The original batch and its two
    ConAug views go through the network as one batch of 3B images.
    """
    view1, view2 = con_aug(images, texts, tokenizer.max_len, generator)
    glimpses, logits = glimpses_and_logits(torch.cat([images, view1.images, view2.images]))
    targets = [
        tokenizer.encode(list(t)).to(images.device) for t in (texts, view1.texts, view2.texts)
    ]
    rec = [
        F.cross_entropy(lg.flatten(0, 1), tg.flatten(), ignore_index=tokenizer.pad)
        for lg, tg in zip(logits.chunk(3), targets, strict=True)
    ]
    _, g1, g2 = glimpses.chunk(3)
    # characters only: EOS (0) and PAD take no part in the contrastive loss
    valid1 = (targets[1] != tokenizer.eos) & (targets[1] != tokenizer.pad)
    valid2 = (targets[2] != tokenizer.eos) & (targets[2] != tokenizer.pad)
    clr = char_contrastive_loss(
        head(g1), head(g2), targets[1], targets[2], valid1, valid2, cfg.temperature
    )
    w = cfg.view_weights
    loss = w[0] * rec[0] + w[1] * rec[1] + w[2] * rec[2] + cfg.clr_weight * clr
    return {
        "loss": loss,
        "loss_rec": rec[0].detach(),
        "loss_view1": rec[1].detach(),
        "loss_view2": rec[2].detach(),
        "loss_clr": clr.detach(),
    }
