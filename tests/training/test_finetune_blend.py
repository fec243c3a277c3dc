"""A fine-tune keeps `FineTune.blend` of its change (WiSE-FT): the weights it saves lie
that share of the way from the base to the tuned ones, and its figures are theirs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ocrstudio.core.errors import InputError
from ocrstudio.engine.checkpoint import load_checkpoint
from ocrstudio.engine.spec import FineTune
from ocrstudio.training.api import synth_source, train_model
from ocrstudio.training.config import FitConfig
from ocrstudio.training.finetune import check_settings
from tests.support.models import save_tiny_models


def test_a_blended_fine_tune_saves_weights_part_way_from_base_to_tuned(tmp_path: Path) -> None:
    _, rec = save_tiny_models(tmp_path / "det", tmp_path / "rec")
    base, _ = load_checkpoint(rec)
    out = tmp_path / "tuned"
    res = train_model(
        [synth_source("synth:words", 1.0)],
        out,
        base=rec,
        fit_config=FitConfig(
            epochs=1, epoch_size=16, batch_size=8, device="cpu", lr=1e-2, workers=0
        ),
        settings=FineTune(lr=1e-2, batch_size=8, blend=0.25),
    )
    saved, card = load_checkpoint(out)
    tuned, _ = load_checkpoint(out / "checkpoints" / "last.safetensors")
    moved = [k for k, v in base.items() if v.is_floating_point() and not torch.equal(v, tuned[k])]
    assert moved  # the fine-tune changed something
    for k in moved:
        torch.testing.assert_close(saved[k], base[k] + 0.25 * (tuned[k] - base[k]))
    assert card.lineage["blend"] == 0.25 and card.fine_tune is not None
    assert card.fine_tune["blend"] == 0.25
    assert res.metrics == card.metrics  # the figures are the saved weights'


@pytest.mark.parametrize("blend", [0.0, 1.5])
def test_a_blend_outside_0_to_1_is_refused(blend: float) -> None:
    with pytest.raises(InputError, match="blend"):
        check_settings(FineTune(blend=blend))
