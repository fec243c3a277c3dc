"""Growing a recognizer's character classifier to a larger charset (a fine-tune on labels
with characters the model has not seen; `Charset.extended`)."""

from __future__ import annotations

import torch
from torch import nn

from ocrstudio.core.charset import Charset


def grown_classifier(old: nn.Linear, old_charset: Charset, charset: Charset) -> nn.Linear:
    """A classifier with one output more per new character (and the same extra classes,
    blank or end-of-sequence, as `old` has beyond the charset): old rows keep their
    weights, new rows start near zero with the lowest old bias, so new classes start
    unlikely. ValueError unless `charset` starts with `old_charset`."""
    if charset.chars[: len(old_charset)] != old_charset.chars:
        raise ValueError("the new charset must start with the model's charset")
    extra = old.out_features - len(old_charset)
    grown = nn.Linear(old.in_features, len(charset) + extra).to(old.weight)
    with torch.no_grad():
        nn.init.normal_(grown.weight, std=0.01)
        grown.bias.fill_(float(old.bias.min()))
        grown.weight[: old.out_features] = old.weight
        grown.bias[: old.out_features] = old.bias
    return grown
