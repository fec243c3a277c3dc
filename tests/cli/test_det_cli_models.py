"""`ocrstudio models --format json`: one JSON array describing every architecture."""

from __future__ import annotations

import json

import pytest
import torch

from ocrstudio.cli import main
from ocrstudio.engine.zoo import ARCHITECTURES, count_parameters


def test_models_json_lists_every_architecture(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # stdout is exactly one JSON document
    assert isinstance(rows, list)
    assert [r["name"] for r in rows] == list(ARCHITECTURES)
    for r in rows:
        assert set(r) == {"name", "role", "params", "input_size", "summary"}
        assert r["role"] in ("detector", "recognizer")
        assert isinstance(r["params"], int) and r["params"] > 0
        assert r["input_size"] and r["summary"]
    by_name = {r["name"]: r for r in rows}
    for name in (
        "dbnet_resnet18",
        "dbnet_resnet50",
        "dbnet_resnet50_dcn",
        "dbnet_mobilenet_v3",
        "dbnet_vgg16_craft",
    ):
        assert by_name[name]["role"] == "detector"
    spec = ARCHITECTURES["dbnet_resnet18"]
    with torch.device("meta"):
        full = spec.build(spec.config("full"), None)
    assert by_name["dbnet_resnet18"]["params"] == count_parameters(full)
    assert by_name["dbnet_resnet50"]["params"] > by_name["dbnet_resnet18"]["params"]


def test_models_text_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "dbnet_resnet50_dcn" in out and "detector" in out
