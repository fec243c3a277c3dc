"""The shipped models: the fixed validation rule, split folders, model cards, fp16
shipping, the text-window sampler, and (with the real data) `ocrstudio ocr` reading a
held-out ICDAR 2015 photo with the models found the way the CLI finds them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from ocrstudio.cli import main
from ocrstudio.core.errors import InputError
from ocrstudio.core.geometry import polygon_iou
from ocrstudio.core.metrics import normalize_36
from ocrstudio.core.types import PageLabels, Polygon, Region
from ocrstudio.engine.card import read_card
from ocrstudio.engine.checkpoint import load_checkpoint
from ocrstudio.services.ocr import resolve_model, shipped_models
from ocrstudio.training.api import load_folder
from ocrstudio.training.data import LabeledPage
from ocrstudio.training.finetune import TextWindowSource
from recipes import (
    CARD_FIELDS,
    default_data,
    is_validation,
    number_of,
    ship,
    split_names,
    write_splits,
)

# the PP-OCRv6 defaults (5 + 10.5 MB) and the line detector (5 MB) beside the older
# VGG16 DBNet (38 MB) and english_g2 CRNN (7.6 MB), which stay as named choices, and the
# ConCLR recognizer (7.8 MB: its own copy of rec_default's trunk, so its file stands alone)
MAX_SHIPPED_BYTES = 78 * 1024 * 1024


def test_holdout_rule_uses_the_number_in_the_name() -> None:
    assert number_of("img_120.jpg") == 120 and number_of("gt_img_7.txt") == 7
    assert number_of("30.jpg") == 30
    assert is_validation("img_10.jpg") and not is_validation("img_11.jpg")
    train, val = split_names(["img_1.jpg", "img_10.jpg", "img_20.jpg", "img_21.jpg"])
    assert train == ["img_1.jpg", "img_21.jpg"] and val == ["img_10.jpg", "img_20.jpg"]
    with pytest.raises(InputError):
        number_of("cover.jpg")


def _fake_data(root: Path) -> None:
    ic = root / "icdar2015_train"
    (ic / "images").mkdir(parents=True)
    (ic / "gt").mkdir()
    for n in range(1, 22):
        (ic / "images" / f"img_{n}.jpg").write_bytes(b"jpg")
        (ic / "gt" / f"gt_img_{n}.txt").write_text("0,0,9,0,9,9,0,9,word\n")
    for name in ("iiit5k_train", "svt_train"):
        w = root / "words_train" / name
        (w / "images").mkdir(parents=True)
        (w / "labels").mkdir()
        for k in (5, 10, 11, 40):
            (w / "images" / f"{k}.jpg").write_bytes(b"jpg")
            (w / "labels" / f"{k}.txt").write_text("word\n")


def test_split_folders_follow_the_rule(tmp_path: Path) -> None:
    _fake_data(tmp_path / "data")
    out = tmp_path / "splits"
    counts = write_splits(tmp_path / "data", out)
    assert counts == {"icdar2015_train": 19, "icdar2015_val": 2, "words_train": 4, "words_val": 4}
    val = sorted(p.name for p in (out / "icdar2015_val" / "images").iterdir())
    assert val == ["img_10.jpg", "img_20.jpg"]
    assert (out / "icdar2015_val" / "gt" / "gt_img_10.txt").read_text().endswith("word\n")
    words = sorted(p.name for p in (out / "words_val" / "labels").iterdir())
    assert words == ["iiit5k_10.txt", "iiit5k_40.txt", "svt_10.txt", "svt_40.txt"]
    train = {p.name for p in (out / "icdar2015_train" / "images").iterdir()}
    assert not train & set(val)


def test_splits_command_runs_as_a_module_with_the_data_found_or_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    _fake_data(tmp_path / "data")
    env = {**os.environ, "OCRSTUDIO_SHARED_DATA": str(tmp_path / "data")}
    run = subprocess.run(
        [sys.executable, "-m", "recipes", "splits", "--out", str(tmp_path / "splits")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )  # --data defaults to default_data()
    assert json.loads(run.stdout)["icdar2015_val"] == 2
    monkeypatch.delenv("OCRSTUDIO_SHARED_DATA", raising=False)
    repo = Path(__file__).resolve().parents[2]
    assert default_data() == repo.parent / "shared" / "data"  # beside the repository


def test_split_counts_on_the_real_data(shared_data: Path, tmp_path: Path) -> None:
    counts = write_splits(shared_data, tmp_path)
    assert counts == {
        "icdar2015_train": 900,
        "icdar2015_val": 100,
        "words_train": 2032,
        "words_val": 225,
        "funsd_train": 119,
        "funsd_val": 30,
    }


def test_text_window_keeps_a_legible_word_in_view() -> None:
    img = np.zeros((720, 1280, 3), np.uint8)
    word = Region(
        Polygon.from_array(
            np.array([[1000, 600], [1100, 600], [1100, 640], [1000, 640]], np.float32)
        ),
        "word",
    )
    dont = Region(
        Polygon.from_array(np.array([[10, 10], [50, 10], [50, 30], [10, 30]], np.float32)),
        "###",
        ignore=True,
    )
    path = Path("unused.jpg")
    src = TextWindowSource(
        [LabeledPage(path, PageLabels(str(path), (word, dont), 1280, 720))], window=480
    )
    src.pages.get = lambda i, e: (img, src.pages.pages[i].labels)  # type: ignore[method-assign]
    for epoch in range(5):
        crop, labels = src.get(0, epoch)
        assert crop.shape == (480, 480, 3) and labels.width == labels.height == 480
        pts = labels.regions[0].polygon.as_array()
        assert (pts >= 0).all() and (pts <= 480).all()  # the word stays inside the window
        assert labels.regions[1].ignore


# card fields with a shape of their own (a recipe's JSON repeats the checkpoint's)
OWN = {
    "name": "tiny",
    "role": "recognizer",
    "architecture": "crnn_small",
    "lineage": {"base": "value of lineage"},
}


def _tiny_checkpoint(tmp_path: Path) -> Path:
    from ocrstudio.core.charset import Charset
    from ocrstudio.engine.checkpoint import save_checkpoint
    from ocrstudio.engine.zoo import get_spec, new_card

    spec = get_spec("crnn_small")
    model = spec.build(spec.config("tiny"), Charset.default())
    return save_checkpoint(tmp_path / "ckpt", model.state_dict(), new_card(spec, model))


def test_ship_writes_fp16_with_a_complete_card(tmp_path: Path) -> None:
    ckpt = _tiny_checkpoint(tmp_path)
    card = (
        {f: f"value of {f}" for f in CARD_FIELDS}
        | OWN
        | {"validation": {"word_acc": 0.5}, "training": {"command": "ocrstudio train ..."}}
    )
    with pytest.raises(InputError, match="lacks"):
        ship(ckpt, tmp_path / "out", {"name": "x"})
    out = ship(ckpt, tmp_path / "out", card)
    state, shipped = load_checkpoint(out)
    full, _ = load_checkpoint(ckpt)
    for k, v in full.items():
        want = torch.float32 if "running_" in k else torch.float16
        assert not v.is_floating_point() or state[k].dtype == want, k
        if v.is_floating_point():
            assert torch.allclose(state[k].float(), v, atol=1e-2, rtol=1e-3)
        else:
            assert torch.equal(state[k], v)
    assert shipped.metrics == {"word_acc": 0.5}
    assert shipped.extras["licence"] == "value of licence"


def test_ship_cuts_big_weights_into_shards(tmp_path: Path, monkeypatch) -> None:
    from recipes import cards

    ckpt = _tiny_checkpoint(tmp_path)
    full, _ = load_checkpoint(ckpt)
    half_bytes = sum(
        v.numel() * (2 if v.is_floating_point() else v.element_size()) for v in full.values()
    )
    monkeypatch.setattr(cards, "SHARD_BYTES", half_bytes // 3)
    card = (
        {f: f"value of {f}" for f in CARD_FIELDS}
        | OWN
        | {"validation": {}, "training": {"command": "ocrstudio train ..."}}
    )
    out = ship(ckpt, tmp_path / "out", card)
    shards = read_card(out).shards
    files = {f.name for f in out.parent.glob("*.safetensors")}
    assert len(files) >= 3 and files == {out.name, *shards}
    state, _ = load_checkpoint(out.parent)  # merged back: every tensor, once
    assert state.keys() == full.keys()
    (out.parent / shards[-1]).unlink()
    with pytest.raises(InputError, match="shard") as err:
        load_checkpoint(out.parent)
    assert shards[-1] in str(err.value)


# --- the models shipped in resources/models -------------------------------------------------


@pytest.mark.parametrize("role", ["detector", "recognizer"])
def test_shipped_models_load_with_their_cards(role: str) -> None:
    from ocrstudio.engine.zoo import get_spec, load_model

    path = resolve_model(None, role)  # what `ocrstudio ocr` does without --det / --rec
    assert path.name in shipped_models(role)
    model, card = load_model(path)
    assert get_spec(card.architecture).role == role
    written = card.to_json()
    for field in CARD_FIELDS:
        assert written.get(field), f"model card lacks {field}"
    assert card.validation == card.metrics
    assert card.training is not None and "ocrstudio" in card.training["command"]
    state, _ = load_checkpoint(path)
    floats = [v for v in state.values() if v.is_floating_point()]
    half = sum(v.numel() for v in floats if v.dtype == torch.float16)
    assert half > 0.99 * sum(v.numel() for v in floats)  # fp16 but for BN statistics
    assert all(torch.isfinite(v).all() for v in floats)


def test_shipped_models_fit_the_size_budget() -> None:
    total = sum(
        p.stat().st_size
        for role in ("detector", "recognizer")
        for d in shipped_models(role).values()
        for p in d.iterdir()
    )
    assert 0 < total <= MAX_SHIPPED_BYTES
    for role in ("detector", "recognizer"):  # sharded: no one file a repository chokes on
        for d in shipped_models(role).values():
            assert all(p.stat().st_size < 17 * 1024 * 1024 for p in d.iterdir()), d


@pytest.mark.parametrize("preset", ["accurate", "fast"])
def test_ocr_reads_a_held_out_photo(
    shared_data: Path, tmp_path: Path, capsys, monkeypatch, preset: str
) -> None:
    """img_10 is validation by the holdout rule: never trained on. `fast` builds the ONNX
    Runtime models of the shipped weights (into a temporary cache), int8 or fp32 as their
    architectures say, and reads with them."""
    from ocrstudio.services import int8_cache

    monkeypatch.setenv("OCRSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    # calibrating on 2 generated scenes (and 2 word batches), not 8: the int8 build is
    # the same code, a quarter of the minute it takes on two cores
    monkeypatch.setattr(int8_cache, "CALIBRATION_SCENES", 2)
    monkeypatch.setattr(int8_cache, "CALIBRATION_WORD_BATCHES", 2)
    photo = shared_data / "icdar2015_train" / "images" / "img_10.jpg"
    assert is_validation(photo.name)
    assert main(["ocr", "--device", "cpu", "--preset", preset, str(photo)]) == 0
    from ocrstudio.engine.zoo import get_spec

    specs = [
        get_spec(read_card(resolve_model(None, role, "fast")).architecture)
        for role in ("detector", "recognizer")
    ]
    onnx = {"int8" if s.int8 else "fp32" for s in specs if s.int8 or s.onnx_fp32}
    built = {p.name for p in (tmp_path / "cache").glob("*") if any(p.glob("*.onnx"))}
    fp32 = {"fp32" for s in specs if s.onnx_fp32}  # accurate: the PP-OCRv6 pair's fp32 export
    assert built == (onnx if preset == "fast" else fp32)
    found = json.loads(capsys.readouterr().out.splitlines()[0])
    assert found["image"] == str(photo) and found["regions"]
    write_splits(shared_data, tmp_path)
    page = next(
        p for p in load_folder(tmp_path / "icdar2015_val") if p.image_path.name == photo.name
    )
    gts = page.labels.legible
    matched = read = 0
    for r in found["regions"]:
        ious = [polygon_iou(np.array(r["points"]), g.polygon.as_array()) for g in gts]
        best = int(np.argmax(ious))
        if ious[best] > 0.5:
            matched += 1
            read += normalize_36(r["text"]) == normalize_36(gts[best].text)
    assert matched >= 1 and read >= 1


def test_funsd_holdout_counts_positions_in_name_order(tmp_path: Path) -> None:
    from recipes import write_funsd_splits

    root = tmp_path / "data" / "funsd_train"
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    names = ["0093", "0011", "0700", "0002", "0450", "0123", "0009"]
    for n in names:
        (root / "images" / f"{n}.png").write_bytes(b"")
        (root / "annotations" / f"{n}.json").write_text('{"form": []}')
    counts = write_funsd_splits(tmp_path / "data", tmp_path / "splits")
    assert counts == {"funsd_train": 5, "funsd_val": 2}
    val = sorted(p.name for p in (tmp_path / "splits" / "funsd_val" / "images").iterdir())
    assert val == ["0002.png", "0450.png"]  # positions 0 and 5 of the sorted names
    (root / "annotations" / "0011.json").unlink()
    with pytest.raises(InputError, match="annotation missing"):
        write_funsd_splits(tmp_path / "data", tmp_path / "splits2")
