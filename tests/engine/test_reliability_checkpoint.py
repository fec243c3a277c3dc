"""Issue 14.10 and 14.14: a crafted checkpoint ends `recognize --rec` / `ocr --det` in one
line naming the file, before any large allocation, and a model file never turns on
downloads."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ocrstudio.cli import main
from ocrstudio.core.errors import InputError
from ocrstudio.engine import checkpoint as C
from ocrstudio.engine.card import ModelCard, read_card
from ocrstudio.engine.detection.tcm import TCMConfig


def edit_card(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(weights: Path) -> None:
        path = weights.with_suffix(".json")
        card = json.loads(path.read_text())
        change(card)
        path.write_text(json.dumps(card))

    return apply


def edit_weights(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(weights: Path) -> None:
        state = load_file(str(weights))
        change(state)
        save_file(state, str(weights))

    return apply


def first_float(state: dict) -> str:
    return next(k for k, v in state.items() if v.is_floating_point() and v.dim() > 0)


def _big(card: dict) -> None:
    card["config"]["hidden"] = 10**9


CASES: dict[str, Callable[[Path], None]] = {
    "unknown architecture": edit_card(lambda m: m.update(architecture="resnet9000")),
    "no architecture": edit_card(lambda m: m.pop("architecture")),
    "card a list": lambda w: w.with_suffix(".json").write_text("[1, 2]"),
    "config a string": edit_card(lambda m: m.update(config="big")),
    "field of wrong type": edit_card(lambda m: m["config"].update(hidden="wide")),
    "unknown config field": edit_card(lambda m: m["config"].update(evil=1)),
    "shard with ../": edit_card(lambda m: m.update(shards=["../../x.safetensors"])),
    "config asking for terabytes": edit_card(_big),
    "missing key": edit_weights(lambda s: s.pop(first_float(s))),
    "unexpected key": edit_weights(lambda s: s.update(extra=torch.zeros(2))),
    "shape mismatch": edit_weights(lambda s: s.update({first_float(s): torch.zeros(3, 3)})),
    "corrupted weights": lambda w: w.write_bytes(w.read_bytes()[:100]),
    "bad JSON": lambda w: w.with_suffix(".json").write_text("{" * 100_000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_recognizer_checkpoints_end_in_one_line(
    tiny_ocr_models: tuple[Path, Path],
    tmp_path: Path,
    case: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, rec = tiny_ocr_models
    folder = tmp_path / "rec"
    shutil.copytree(rec.parent, folder)
    weights = folder / rec.name
    card = json.loads(weights.with_suffix(".json").read_text())
    assert "hidden" in card["config"]  # the field the type and size cases change
    CASES[case](weights)
    crop = tmp_path / "crop.png"
    from PIL import Image

    Image.new("RGB", (64, 24), "white").save(crop)
    code = main(["recognize", "--rec", str(weights), "--device", "cpu", str(crop)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("ocrstudio: error:") and "\n" not in err and len(err) < 600, err
    assert str(folder) in err


def test_a_recognizer_given_as_the_detector_is_refused(
    tiny_ocr_models: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rec = tiny_ocr_models
    crop = tmp_path / "crop.png"
    from PIL import Image

    Image.new("RGB", (64, 24), "white").save(crop)
    assert main(["ocr", "--det", str(rec), "--rec", str(rec), "--device", "cpu", str(crop)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(rec.parent) in err


def test_a_model_file_never_turns_on_downloads(tmp_path: Path) -> None:
    weights = C.save_checkpoint(
        tmp_path / "m",
        {"w": torch.zeros(1)},
        ModelCard(
            "tcm_resnet50",
            role="detector",
            config={
                "clip_weights": "openai",
                "allow_download": True,
                "nested": {"allow_download": True},
            },
        ),
    )
    card = read_card(weights)
    assert card.config["allow_download"] is False
    assert card.config["nested"]["allow_download"] is False
    assert TCMConfig().allow_download is False


def test_build_checked_counts_on_the_meta_device(tmp_path: Path) -> None:
    state = {"weight": torch.zeros(4, 4), "bias": torch.zeros(4)}
    assert C.build_checked(lambda: torch.nn.Linear(4, 4), state, tmp_path).weight.shape == (4, 4)
    with pytest.raises(InputError, match="asks for"):
        C.build_checked(lambda: torch.nn.Linear(100_000, 100_000), state, tmp_path)


@pytest.mark.parametrize(("arch", "config"), [("tcm_resnet50", "full"), ("clip4str_base", "tiny")])
def test_only_the_users_own_flag_lets_clip_download(
    arch: str, config: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.10: a new CLIP model downloads a tag only with `allow_download` from the user's
    choice (`train --allow-download`, the dialog's box); a wrong pairing is refused."""
    from open_clip import pretrained

    from ocrstudio.training.api import build_model
    from ocrstudio.training.config import ClipChoice

    asked: list[dict] = []

    def offline(cfg: dict, cache_dir: str | None = None) -> str:
        asked.append(cfg)
        raise OSError("offline in tests")

    monkeypatch.setattr(pretrained, "download_pretrained", offline)
    build_model(arch, config, None, ["ab"], ClipChoice("openai"))
    assert asked == []
    built = build_model(arch, config, None, ["ab"], ClipChoice("openai", allow_download=True))
    assert len(asked) == 1
    assert built.card.config["allow_download"] is False  # never recorded as allowed
    assert built.card.config["clip_weights"] is None
    with pytest.raises(InputError, match="no CLIP backbone"):
        build_model("crnn_small", "tiny", None, ["ab"], ClipChoice("openai"))


def test_train_cli_passes_the_download_flag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ocrstudio.training import api
    from ocrstudio.training.config import ClipChoice

    seen: list[ClipChoice] = []

    def capture(*args: object, clip: ClipChoice, **kwargs: object) -> None:
        seen.append(clip)
        raise InputError("stop here")

    from ocrstudio.services import training

    monkeypatch.setattr(api, "train_model", capture)
    monkeypatch.setattr(training, "resolve_data_spec", lambda spec: spec)
    (tmp_path / "d").mkdir()
    base = [
        "train",
        "--arch",
        "tcm_resnet50",
        "--data",
        str(tmp_path / "d"),
        "--out",
        str(tmp_path / "o"),
        "--clip-weights",
        "openai",
    ]
    assert main(base) == 2 and main([*base, "--allow-download"]) == 2
    assert seen == [ClipChoice("openai", False), ClipChoice("openai", True)]


def _card_copy(tmp_path: Path, name: str, change: Callable[[dict], None]) -> Path:
    """A copy of a shipped model whose card `change` edits."""
    from ocrstudio.services.ocr import resolve_model

    role = "recognizer" if name.startswith("rec") else "detector"
    folder = tmp_path / f"{name}-edited"
    shutil.copytree(resolve_model(name, role), folder)
    card = json.loads((folder / "model.json").read_text())
    change(card)
    (folder / "model.json").write_text(json.dumps(card))
    return folder


def _set(path: str, value: object) -> Callable[[dict], None]:
    def change(card: dict) -> None:
        *head, last = path.split(".")
        node = card
        for key in head:
            node = node.setdefault(key, {})
        node[last] = value

    return change


@pytest.mark.parametrize(
    ("name", "path", "value", "preset"),
    [
        ("rec_default", "config.input.height", 100000, "accurate"),  # 6.5 GB at once before
        ("rec_default", "config.input.width", 10**7, "accurate"),
        ("rec_default", "config.input.mean", ["x", "y", "z"], "accurate"),
        ("det_default", "input.limit_side", 1e9, "accurate"),  # a photo run at full size
        ("det_default", "normalization.mean", "grey", "accurate"),
        ("det_default", "postprocess_at.960", {"thresh": "high"}, "fast"),
        ("det_default", "verify_at.960", [1, 2], "fast"),
        ("det_default", "config.postprocess.box_thresh", "high", "accurate"),
    ],
)
def test_card_settings_are_checked_before_use(
    tmp_path: Path, capsys, name: str, path: str, value: object, preset: str
) -> None:
    """Issue #25, classes 2 and 12: a card's sizes are bounded and its settings typed
    before anything is allocated; a bad one is one line naming the card."""
    folder = _card_copy(tmp_path, name, _set(path, value))
    photo = tmp_path / "p.png"
    from PIL import Image

    Image.new("RGB", (64, 32), "white").save(photo)
    flag = "--rec" if name.startswith("rec") else "--det"
    code = main(["ocr", str(photo), flag, str(folder), "--device", "cpu", "--preset", preset])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(folder / "model.json") in err or str(folder / "model.safetensors") in err, err
    assert "Traceback" not in err
