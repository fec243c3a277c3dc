"""Issue 14.14, the training-state half: `train --resume` on a damaged or foreign
`checkpoints/last_state` ends in one line naming the file, never a traceback from
safetensors, json, the optimizer or the RNG."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ocrstudio.cli import main

TRAIN = [
    "train",
    "--arch",
    "crnn_small",
    "--config",
    "tiny",
    "--device",
    "cpu",
    "--batch-size",
    "8",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("resume")
    data = root / "words"
    assert (
        main(["synth", "--kind", "words", "--count", "16", "--out", str(data), "--seed", "4"]) == 0
    )
    out = root / "run"
    assert main([*TRAIN, "--data", str(data), "--epochs", "1", "--out", str(out)]) == 0
    assert (out / "checkpoints" / "last_state.safetensors").is_file()
    return data, out


def _tensors(change: Callable[[dict[str, torch.Tensor]], None]) -> Callable[[Path], None]:
    def apply(ckpt: Path) -> None:
        path = ckpt / "last_state.safetensors"
        state = load_file(str(path))
        change(state)
        save_file(state, str(path))

    return apply


def _json(change: Callable[[object], object]) -> Callable[[Path], None]:
    def apply(ckpt: Path) -> None:
        path = ckpt / "last_state.json"
        path.write_text(json.dumps(change(json.loads(path.read_text()))))

    return apply


def _moment(state: dict[str, torch.Tensor]) -> str:
    return next(k for k, v in state.items() if ".optimizer." in k and v.dim() > 0)


def _replace_step(plain: object) -> object:
    text = json.dumps(plain).replace('["step", ', '["step", "many"], ["x", ', 1)
    return json.loads(text)


CASES: dict[str, Callable[[Path], None]] = {
    "truncated tensors": lambda c: (c / "last_state.safetensors").write_bytes(
        (c / "last_state.safetensors").read_bytes()[:64]
    ),
    "garbage JSON": lambda c: (c / "last_state.json").write_text("{" * 50_000),
    "binary JSON": lambda c: (c / "last_state.json").write_bytes(b"\xff\xfe\x00"),
    "a tensor missing": _tensors(lambda s: s.pop(_moment(s))),
    "moments of the wrong shape": _tensors(lambda s: s.update({_moment(s): torch.zeros(3, 3)})),
    "RNG not bytes": _tensors(
        lambda s: s.update({next(k for k in s if "torch_rng" in k): torch.zeros(5)})
    ),
    "step not a number": _json(_replace_step),
    "a list, not a state": _json(lambda _: [1, 2, 3]),
    "weights of another model": lambda c: save_file(
        {"w": torch.zeros(2)}, str(c / "last.safetensors"), metadata=None
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_training_state_is_one_line(
    run_dir: tuple[Path, Path], tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = run_dir
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    CASES[case](copy / "checkpoints")
    capsys.readouterr()
    code = main([*TRAIN, "--data", str(data), "--epochs", "2", "--out", str(copy), "--resume"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err and err[-1].startswith("ocrstudio: error:"), err
    assert "Traceback" not in "\n".join(err) and len(err[-1]) < 600
    assert str(copy / "checkpoints") in err[-1]


def test_an_intact_state_resumes(
    run_dir: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = run_dir
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    capsys.readouterr()
    assert main([*TRAIN, "--data", str(data), "--epochs", "2", "--out", str(copy), "--resume"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["epochs"] == 2
