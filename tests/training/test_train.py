"""`ocrstudio synth` / `ocrstudio train`, fine-tuning with new characters, detection
training, and the project training job (snapshot, registration, failure)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ocrstudio import store
from ocrstudio.cli import main
from ocrstudio.core.errors import OcrStudioError
from ocrstudio.core.types import Polygon, Region
from ocrstudio.engine.card import read_card
from ocrstudio.engine.checkpoint import load_checkpoint
from ocrstudio.engine.zoo import get_spec
from ocrstudio.training.api import build_model, load_folder, parse_weight
from ocrstudio.training.config import FitConfig
from ocrstudio.training.data import MemorySource, MixedDataset
from ocrstudio.training.loop import fit
from ocrstudio.training.synth import SceneSynth, SceneSynthConfig, WordSynth
from ocrstudio.training.tasks import DetTask

FAST = ["--config", "tiny", "--device", "cpu", "--batch-size", "8", "--epochs", "1"]


@pytest.fixture(scope="module")
def words_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "words"
    assert (
        main(["synth", "--kind", "words", "--count", "40", "--out", str(out), "--seed", "2"]) == 0
    )
    return out


@pytest.fixture(scope="module")
def trained(words_dir, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("run") / "crnn"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert (
            main(
                [
                    "train",
                    "--arch",
                    "crnn_small",
                    "--data",
                    str(words_dir),
                    *FAST,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    lines = buf.getvalue().splitlines()
    assert len(lines) == 1
    return out, json.loads(lines[0])


def test_synth_words_folder_reads_back(words_dir):
    pages = load_folder(words_dir)
    assert len(pages) == 40
    synth = WordSynth(seed=2)
    by_name = {p.image_path.name: p.labels.regions[0].text for p in pages}
    for i in (0, 7, 39):
        assert by_name[f"{i + 1}.png"] == synth[i].text
        img = cv2.imread(str(words_dir / "images" / f"{i + 1}.png"))[..., ::-1]
        assert np.array_equal(img, synth[i].image)


def test_synth_scenes_folder_reads_back_with_polygons(tmp_path):
    out = tmp_path / "scenes"
    assert main(["synth", "--kind", "scenes", "--count", "2", "--out", str(out)]) == 0
    pages = sorted(load_folder(out), key=lambda p: p.image_path.name)
    synth = SceneSynth(seed=0)
    for i, page in enumerate(pages):
        want = synth[i].labels
        got = page.labels
        assert [r.text for r in got.regions] == [r.text for r in want.regions]
        for a, b in zip(got.regions, want.regions, strict=True):
            assert len(a.polygon) == len(b.polygon)
            np.testing.assert_allclose(a.polygon.as_array(), b.polygon.as_array(), atol=0.01)


def test_train_cli_writes_the_model_and_one_json_line(trained):
    out, result = trained
    assert (out / "model.safetensors").is_file() and (out / "model.json").is_file()
    assert (out / "checkpoints" / "epoch_001.safetensors").is_file()
    assert result["metric"] == "word_acc" and result["steps"] == 4
    card = read_card(out)
    assert card.architecture == "crnn_small" and card.role == "recognizer"
    assert card.lineage["data"][0]["pages"] == 40
    assert card.normalization is not None and card.normalization.channels in ("gray", "RGB")


def test_fine_tuning_grows_the_charset_and_keeps_old_rows(trained, words_dir, tmp_path):
    base, _ = trained
    state, card = load_checkpoint(base)
    built = build_model(None, "tiny", base, ["café", "Straße"])
    assert card.charset is not None
    old = card.charset.chars
    assert built.model.charset.chars == old + "éß"
    head = built.model.head
    assert head.out_features == len(old) + 3  # + the CTC blank
    torch.testing.assert_close(head.weight[: len(old) + 1], state["head.weight"])
    torch.testing.assert_close(head.bias[: len(old) + 1], state["head.bias"])
    # the same through `ocrstudio train --base` on labels holding new characters
    data = tmp_path / "new"
    (data / "images").mkdir(parents=True)
    (data / "labels").mkdir()
    for i, text in enumerate(["café", "Straße", "naïve", "fiancé"] * 2):
        cv2.imwrite(str(data / "images" / f"{i}.png"), WordSynth(seed=9)[i].image)
        (data / "labels" / f"{i}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "tuned"
    assert (
        main(
            [
                "train",
                "--base",
                str(base / "model.safetensors"),
                "--data",
                str(data),
                *FAST,
                "--batch-size",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    tuned = read_card(out)
    assert tuned.charset is not None and tuned.charset.chars == old + "éßï"
    assert tuned.lineage["base"] == str(base / "model.safetensors")


def test_data_spec_weights():
    assert parse_weight("synth:words@0.5") == ("synth:words", 0.5)
    assert parse_weight("/data/x") == ("/data/x", 1.0)


def test_mixed_sources_follow_their_weights():
    a, b = MemorySource(["a"] * 10), MemorySource(["b"] * 10)
    ds = MixedDataset([a, b], [3.0, 1.0], size=2000, seed=1)
    share = sum(ds[i] == "a" for i in range(2000)) / 2000
    assert 0.7 < share < 0.8


@pytest.mark.slow
def test_detector_training_lowers_the_loss(tmp_path):
    cfg = SceneSynthConfig(size=(256, 320), instances=(3, 6), text_height=(0.08, 0.16))
    synth = SceneSynth(cfg, seed=1)
    scenes = [(s.image, s.labels) for s in (synth[i] for i in range(12))]
    spec = get_spec("dbnet_resnet18")
    torch.manual_seed(0)
    model = spec.build(spec.config("tiny"), None)
    from ocrstudio.engine.detection.zoo import detector_card

    card = detector_card(spec.name, spec.config("tiny"))
    task = DetTask(model.config, card)
    train = MixedDataset([MemorySource(scenes[:8])], seed=0, transform=task.transform)
    res = fit(
        model,
        task,
        train,
        val=scenes[8:],
        config=FitConfig(epochs=4, batch_size=4, lr=2e-3, device="cpu"),
        out=tmp_path,
        card=card,
    )
    losses = [h["train_loss"] for h in res.history]
    assert losses[-1] < losses[0]
    assert {"hmean", "precision", "recall"} <= set(res.metrics)
    assert read_card(tmp_path).role == "detector"


def _project(tmp_path: Path, words_dir: Path) -> Path:
    from ocrstudio.services.project import create_project

    folder = tmp_path / "proj"
    with create_project(folder, words_dir / "images") as handle, handle.write() as s:
        images = store.list_images(s)
        splits = {}
        for k, im in enumerate(images):
            text = (words_dir / "labels" / f"{Path(im.path).stem}.txt").read_text().strip()
            region = Region(Polygon.from_box(0, 0, im.width, im.height), text, verified=True)
            store.add_region(s, im.id, region)
            splits[im.id] = "train" if k < 24 else ("val" if k < 32 else "test")
        store.set_splits(s, splits)
        store.set_images_status(s, [im.id for im in images], "verified")
    return folder


def test_project_training_registers_a_version(words_dir, tmp_path, capsys):
    from ocrstudio.services.project import open_project

    folder = _project(tmp_path, words_dir)
    assert main(["train", "--project", str(folder), "--arch", "crnn_small", *FAST]) == 0
    res = json.loads(capsys.readouterr().out)
    assert Path(res["weights"]).is_file()
    with open_project(folder) as handle, handle.session() as s:
        run = store.get_training_run(s, res["run_id"])
        version = store.get_model_version(s, res["version_id"])
        train_ids = [im.id for im in store.list_images(s, split="train")]
        val_ids = [im.id for im in store.list_images(s, split="val")]
        assert run.status == "done" and run.result_version_id == version.id
        assert sorted(run.image_ids) == sorted(train_ids + val_ids)
        assert run.labels_hash == store.labels_hash(s, run.image_ids)
        assert len(run.history) == 1
        assert version.architecture == "crnn_small" and version.metrics["split"] == "test"
        assert (folder / version.weights_path).is_file()


def test_a_failed_job_leaves_the_project_as_it_was(words_dir, tmp_path):
    from ocrstudio.services.project import open_project
    from ocrstudio.services.training import TrainJob

    folder = _project(tmp_path, words_dir)
    # a base that is no checkpoint fails inside the run (a batch larger than the data
    # no longer does: it shrinks to fit, with a note)
    bad = tmp_path / "not_a_model.safetensors"
    bad.write_bytes(b"not safetensors")
    job = TrainJob(
        folder,
        "crnn_small",
        "tiny",
        base=str(bad),
        fit={"epochs": 1, "batch_size": 8, "device": "cpu"},
    )
    with pytest.raises(OcrStudioError):
        job.run()
    with open_project(folder) as handle, handle.session() as s:
        runs = store.list_training_runs(s)
        assert [r.status for r in runs] == ["failed"] and runs[0].error
        assert store.list_model_versions(s) == []
    assert not any((folder / "models").iterdir())


@pytest.mark.parametrize(
    "option",
    [
        ("--batch-size", "0"),
        ("--batch-size", "-1"),
        ("--lr", "nan"),
        ("--lr", "-1"),
        ("--threads", "-1"),
        ("--workers", "-1"),
        ("--steps", "0"),
    ],
)
def test_train_options_are_checked_before_anything_runs(option, tmp_path, capsys):
    """A bad number is a usage error naming the option (exit 2), not a traceback."""
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "train",
                "--arch",
                "crnn_small",
                "--data",
                "synth:words",
                "--out",
                str(tmp_path / "x"),
                *option,
            ]
        )
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert option[0] in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()
