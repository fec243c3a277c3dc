"""The model card's one reader and one writer (engine/card.py): a wrong-typed or
out-of-bounds field is refused naming the file and the field, cards written by earlier
versions load, and keys this version does not know survive a read and a write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ocrstudio.core.errors import InputError
from ocrstudio.engine.card import ModelCard, read_card, write_card
from ocrstudio.engine.verification import Verification

REPO_MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"


def _checkpoint(tmp_path: Path, card: dict[str, Any]) -> Path:
    """A checkpoint folder whose card is `card` (the weights file is a stand-in: the
    reader never opens it)."""
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    (folder / "model.safetensors").write_bytes(b"")
    (folder / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "classifier"),
        ("boxes", "paragraphs"),
        ("name", 7),
        ("config", "big"),
        ("charset", {"letters": "ab"}),
        ("normalization", {"mean": "grey", "std": [1, 1, 1]}),
        ("input", {"limit_side": 10**9}),
        ("input", {"limit_side": 1e3}),
        ("verify", {"candidates": 0.5, "sure": "high", "min_reading": 0.5}),
        ("verify", {"candidates": 5.0, "sure": 0.8, "min_reading": 0.5}),
        ("verify_at", {"960": [1, 2]}),
        ("verify_at", {"huge": {"candidates": 0.5, "sure": 0.8, "min_reading": 0.5}}),
        ("postprocess_at", {"960": {"thresh": "high"}}),
        ("postprocess_at", {"960": {"no_such_setting": 1}}),
        ("fine_tune", {"lr": 10.0}),
        ("fine_tune", {"batch_size": "eight"}),
        ("metrics", [1, 2]),
        ("params", -3),
        ("shards", ["../x.safetensors"]),
    ],
)
def test_a_bad_field_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, field: str, value: object
) -> None:
    folder = _checkpoint(tmp_path, {"architecture": "crnn_small", field: value})
    with pytest.raises(InputError) as err:
        read_card(folder)
    message = str(err.value)
    assert str(folder / "model.json") in message and field in message, message
    assert "\n" not in message


def test_the_cards_own_shape_is_checked(tmp_path: Path) -> None:
    for card, why in [
        ({"role": "detector"}, "no architecture"),
        ({"architecture": "x", "format_version": 99}, "newer"),
        ({"architecture": "x", "format_version": "1"}, "format_version"),
    ]:
        with pytest.raises(InputError, match=why):
            read_card(_checkpoint(tmp_path, card))
    (tmp_path / "m" / "model.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not a JSON object"):
        read_card(tmp_path / "m")


def test_an_old_card_loads_with_defaults(tmp_path: Path) -> None:
    """A card of the first checkpoints: no format_version, role, input or normalization;
    nulls where later writers leave the key out."""
    folder = _checkpoint(
        tmp_path,
        {"architecture": "dbnet_resnet18", "config": {}, "lineage": None, "charset": "abc"},
    )
    card = read_card(folder)
    assert card.format_version == 0 and card.role is None and card.input is None
    assert card.lineage == {} and card.charset is not None and card.charset.chars == "abc"
    assert card.verify_for(960) is None and card.postprocess_for(960) is None


@pytest.mark.parametrize(
    "name", ["det_default", "det_lines", "det_vgg16_craft", "rec_crnn_g2", "rec_default"]
)
def test_every_shipped_card_reads_and_writes_back_unchanged(tmp_path: Path, name: str) -> None:
    folder = tmp_path / name
    shutil.copytree(REPO_MODELS / name, folder)
    before = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    write_card(folder, read_card(folder))
    assert json.loads((folder / "model.json").read_text(encoding="utf-8")) == before


def test_unknown_keys_survive_a_round_trip(tmp_path: Path) -> None:
    """A card written by a newer tool keeps its extras through this version's writes."""
    folder = _checkpoint(
        tmp_path,
        {
            "architecture": "dbnet_resnet18",
            "format_version": 1,
            "from_the_future": {"nested": [1, 2]},
            "licence": "MIT",
            "input": {"limit_side": 960, "crop_policy": "new"},
        },
    )
    card = read_card(folder)
    assert card.extras == {"from_the_future": {"nested": [1, 2]}, "licence": "MIT"}
    assert card.input is not None and card.input.limit_side == 960
    write_card(folder, card.with_(verify=Verification(0.5, 0.8, 0.6)))
    again = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert again["from_the_future"] == {"nested": [1, 2]} and again["licence"] == "MIT"
    assert again["input"] == {"limit_side": 960, "crop_policy": "new"}
    assert read_card(folder).verify == Verification(0.5, 0.8, 0.6)


def test_settings_tuned_at_an_input_size_are_looked_up_by_it(tmp_path: Path) -> None:
    own = {"candidates": 0.6, "sure": 0.8, "min_reading": 0.5}
    at = {"candidates": 0.7, "sure": 0.8, "min_reading": 0.3, "min_chars": 3}
    folder = _checkpoint(
        tmp_path,
        {
            "architecture": "dbnet_resnet18",
            "verify": own,
            "verify_at": {"960": at},
            "postprocess_at": {"960": {"thresh": 0.5}},
        },
    )
    card = read_card(folder)
    assert card.verify_for(960) == Verification(**at)
    assert card.verify_for(1280) == card.verify_for(None) == Verification(**own)
    assert card.postprocess_for(960) == {"thresh": 0.5} and card.postprocess_for(640) is None
    assert card.to_json()["verify_at"] == {"960": {**at, "join_gap": 0.0}}


def test_a_card_built_in_memory_equals_it_read_back(tmp_path: Path) -> None:
    card = ModelCard(
        "dbnet_resnet18", role="detector", config={"stem": (24, 48)}, metrics={"hmean": 0.5}
    )
    folder = _checkpoint(tmp_path, {"architecture": "x"})
    write_card(folder, card)
    assert read_card(folder) == card
