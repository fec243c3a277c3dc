"""The CTC objective, apart from the networks that use it (CRNN and its variants)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ctc_loss(logits: torch.Tensor, targets: torch.Tensor, target_lengths: torch.Tensor,
             blank: int = 0) -> torch.Tensor:
    """Mean CTC loss of (B, T, C) logits against flat targets (`CTCTokenizer.encode`).

    Computed in float32 (log-probabilities underflow in half precision) with
    `zero_infinity`, so a label longer than the time steps it could be aligned to gives
    a zero loss instead of an infinite one. Each sample's loss is divided by its target
    length before the batch mean (PyTorch's 'mean' reduction).
    """
    log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T, B, C)
    t, b = log_probs.shape[:2]
    input_lengths = torch.full((b,), t, dtype=torch.long)
    return F.ctc_loss(log_probs, targets.to(log_probs.device, torch.long),
                      input_lengths.to(log_probs.device),
                      target_lengths.to(log_probs.device, torch.long),
                      blank=blank, reduction="mean", zero_infinity=True)
