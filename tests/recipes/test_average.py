"""Weight averaging of a run's checkpoints (`python -m recipes average`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ocrstudio.core.errors import InputError
from ocrstudio.engine.card import ModelCard
from ocrstudio.engine.checkpoint import load_checkpoint, save_checkpoint
from recipes.average import average_checkpoints

CARD = ModelCard("dbnet_resnet18", role="detector", lineage={"base": "x"})


def _ckpt(path: Path, w: list[float], steps: int) -> Path:
    state = {"conv.weight": torch.tensor(w), "bn.num_batches_tracked": torch.tensor(steps)}
    return save_checkpoint(path, state, CARD)


def test_the_mean_of_the_weights_and_the_last_counter(tmp_path: Path) -> None:
    a = _ckpt(tmp_path / "a", [1.0, 2.0], 10)
    b = _ckpt(tmp_path / "b", [3.0, 6.0], 20)
    out = average_checkpoints([a, b], tmp_path / "avg")
    state, card = load_checkpoint(out)
    assert state["conv.weight"].tolist() == [2.0, 4.0]
    assert int(state["bn.num_batches_tracked"]) == 20
    assert card.lineage == {"base": "x", "averaged": [str(a), str(b)]}


def test_checkpoints_of_other_models_are_refused(tmp_path: Path) -> None:
    a = _ckpt(tmp_path / "a", [1.0, 2.0], 10)
    b = _ckpt(tmp_path / "b", [1.0, 2.0, 3.0], 10)
    with pytest.raises(InputError, match="another shape") as err:
        average_checkpoints([a, b], tmp_path / "avg")
    assert str(b) in str(err.value)
    with pytest.raises(InputError, match="nothing to average"):
        average_checkpoints([], tmp_path / "avg")
