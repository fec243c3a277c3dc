"""The training loop on tiny models: loss goes down, checkpoints, resume, cancel, schedules."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from ocrstudio.core.charset import Charset
from ocrstudio.core.errors import CancelledError
from ocrstudio.engine.card import read_card
from ocrstudio.engine.checkpoint import load_checkpoint
from ocrstudio.engine.recognition.predictor import recognize
from ocrstudio.engine.zoo import get_spec, load_model, new_card
from ocrstudio.training.config import FitConfig, paper_recipe
from ocrstudio.training.data import MemorySource, MixedDataset
from ocrstudio.training.loop import fit, lr_factor
from ocrstudio.training.state import load_state, save_state
from ocrstudio.training.synth import WordSynth, WordSynthConfig
from ocrstudio.training.tasks import RecTask

ALPHABET = "abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def words() -> list[tuple[np.ndarray, str]]:
    synth = WordSynth(WordSynthConfig(alphabet=ALPHABET, max_len=6, degrade=0.3), seed=11)
    return [(s.image, s.text) for s in (synth[i] for i in range(40))]


def _setup(words, seed: int = 0):
    spec = get_spec("crnn_small")
    model = spec.build(spec.config("tiny"), Charset(ALPHABET))
    task = RecTask(model.config.input, model.charset, augment=False)
    train = MixedDataset([MemorySource(words[:32])], seed=seed, transform=task.transform)
    return model, task, train, words[32:], new_card(spec, model, "t")


CFG = FitConfig(epochs=3, batch_size=8, lr=3e-3, device="cpu", log_every=1, eval_size=8)


def test_fit_lowers_the_loss_and_writes_checkpoints(words, tmp_path):
    model, task, train, val, card = _setup(words)
    reports = []
    res = fit(
        model, task, train, val=val, config=CFG, out=tmp_path, card=card, progress=reports.append
    )
    assert res.steps == 12 and res.epochs == 3
    losses = [h["train_loss"] for h in res.history]
    assert losses[-1] < losses[0]
    ckpt = tmp_path / "checkpoints"
    for name in ("epoch_001", "epoch_002", "epoch_003", "last"):
        assert (ckpt / f"{name}.safetensors").is_file() and (ckpt / f"{name}.json").is_file()
    saved = read_card(tmp_path)
    assert saved.architecture == "crnn_small" and saved.charset == Charset(ALPHABET)
    assert set(saved.metrics) >= {"word_acc", "cer"}
    assert saved.training is not None and saved.training["fit"]["batch_size"] == 8
    loaded, _ = load_model(tmp_path)
    assert len(recognize(loaded, task.collate(val[:2])[0])) == 2
    # progress reports carry what a GUI shows
    train_reports = [r for r in reports if r.phase == "train"]
    assert [r.step for r in train_reports] == list(range(1, 13))
    assert all(r.lr > 0 and r.samples_per_s > 0 and r.eta_s is not None for r in train_reports)
    assert reports[-1].phase == "done" and any(r.phase == "eval" and r.val for r in reports)


def test_cancel_stops_within_one_batch(words, tmp_path):
    model, task, train, val, card = _setup(words)
    cancel = threading.Event()
    steps = []

    def on_progress(p):
        if p.phase == "train":
            steps.append(p.step)
            if p.step == 3:
                cancel.set()

    with pytest.raises(CancelledError):
        fit(
            model,
            task,
            train,
            val=val,
            config=CFG,
            out=tmp_path,
            card=card,
            progress=on_progress,
            cancel=cancel,
        )
    assert steps == [1, 2, 3]
    assert not (tmp_path / "model.safetensors").exists()  # no epoch finished


def test_resume_continues_exactly_where_it_stopped(words, tmp_path):
    full_dir, cut_dir = tmp_path / "full", tmp_path / "cut"
    model, task, train, val, card = _setup(words)
    fit(model, task, train, val=val, config=CFG, out=full_dir, card=card)

    model, task, train, val, card = _setup(words)
    cancel = threading.Event()

    def stop_after_epoch_2(p):
        if p.phase == "eval" and p.epoch == 2:
            cancel.set()

    with pytest.raises(CancelledError):
        fit(
            model,
            task,
            train,
            val=val,
            config=CFG,
            out=cut_dir,
            card=card,
            progress=stop_after_epoch_2,
            cancel=cancel,
        )
    assert (cut_dir / "checkpoints" / "epoch_002.safetensors").is_file()
    assert not (cut_dir / "checkpoints" / "epoch_003.safetensors").exists()

    model, task, train, val, card = _setup(words)
    res = fit(model, task, train, val=val, config=CFG, out=cut_dir, card=card, resume=True)
    assert res.steps == 12 and [h["epoch"] for h in res.history] == [1, 2, 3]
    a, _ = load_checkpoint(full_dir / "checkpoints" / "last.safetensors")
    b, _ = load_checkpoint(cut_dir / "checkpoints" / "last.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)


def test_steps_override_epochs_and_early_stopping(words, tmp_path):
    model, task, train, val, card = _setup(words)
    res = fit(model, task, train, val=val, config=CFG.with_(steps=6), out=tmp_path / "s", card=card)
    assert res.steps == 6 and res.epochs == 2

    model, task, train, val, card = _setup(words)
    # lr 0 never improves the metric: patience 1 stops after the second evaluation
    res = fit(
        model,
        task,
        train,
        val=val,
        config=CFG.with_(lr=0.0, epochs=5, patience=1),
        out=tmp_path / "p",
        card=card,
    )
    assert res.stopped_early and res.epochs == 2


def test_same_seed_same_weights(words, tmp_path):
    outs = []
    for run in ("a", "b"):
        torch.manual_seed(0)
        model, task, train, val, card = _setup(words)  # the same initial weights
        torch.manual_seed(123 if run == "a" else 456)  # fit must re-seed by itself
        fit(
            model,
            task,
            train,
            val=val,
            config=CFG.with_(epochs=1, seed=5),
            out=tmp_path / run,
            card=card,
        )
        outs.append(load_checkpoint(tmp_path / run)[0])
    for k in outs[0]:
        assert torch.equal(outs[0][k], outs[1][k])


def test_schedules():
    one = FitConfig(schedule="onecycle", warmup=0.25)
    assert lr_factor(one, 0, 100) == pytest.approx(1 / 25)
    assert lr_factor(one, 25, 100) == pytest.approx(1.0)
    assert lr_factor(one, 100, 100) == pytest.approx(1e-4)
    poly = FitConfig(schedule="poly")
    assert lr_factor(poly, 0, 10) == 1.0 and lr_factor(poly, 10, 10) == 0.0
    assert paper_recipe("dbnet_resnet18").optimizer == "sgd"
    assert paper_recipe("crnn").optimizer == "adadelta"


def test_training_state_round_trips_without_pickle(tmp_path):
    m = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(m.parameters())
    m(torch.randn(4, 3)).sum().backward()
    opt.step()
    save_state(tmp_path / "s", {"optimizer": opt.state_dict(), "step": 7, "best": None})
    back = load_state(tmp_path / "s")
    assert back["step"] == 7 and back["best"] is None
    opt2 = torch.optim.AdamW(m.parameters())
    opt2.load_state_dict(back["optimizer"])
    for k, v in opt.state_dict()["state"][0].items():
        assert torch.equal(v, opt2.state_dict()["state"][0][k])
    assert (tmp_path / "s.json").read_text().startswith("{")


def test_an_empty_source_adds_nothing_to_the_mix() -> None:
    """A replayed folder whose detector found no box (no crops) is drawn from never,
    instead of failing the run; nothing at all to draw is a clear error."""
    data = MixedDataset([MemorySource([]), MemorySource(["a", "b"])], [1.5, 0.5], size=40, seed=0)
    assert {data[i] for i in range(40)} == {"a", "b"}
    with pytest.raises(ValueError, match="every source is empty"):
        MixedDataset([MemorySource([])], [1.0], size=4)
