"""The architecture zoo: the facts each spec carries (paper recipe, int8, presets), and
`ArchSpec` in a leaf module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ocrstudio.engine.spec import ROLES
from ocrstudio.engine.zoo import ARCHITECTURES
from ocrstudio.services import ocr
from ocrstudio.training.config import FitConfig, paper_recipe

FAMILY_OPTIMIZER = {
    "dbnet": "sgd",
    "tcm": "sgd",
    "crnn": "adadelta",
    "abinet": "adam",
    "clip4str": "adamw",
}


@pytest.mark.parametrize("name", [n for n in ARCHITECTURES if n.split("_")[0] in FAMILY_OPTIMIZER])
def test_each_paper_architecture_has_its_papers_recipe(name: str) -> None:
    family = name.split("_")[0]
    base = FitConfig(weight_decay=0.123, epochs=7)
    cfg = paper_recipe(name, base)
    assert cfg.optimizer == FAMILY_OPTIMIZER[family]
    assert cfg.epochs == 7  # the recipe sets the optimiser and schedule, nothing else
    if family == "clip4str":
        assert (cfg.lr, cfg.schedule, cfg.weight_decay) == (8.4e-5, "onecycle", 0.123)
    if family in ("dbnet", "tcm"):
        assert (cfg.lr, cfg.schedule, cfg.weight_decay) == (0.007, "poly", 1e-4)


def test_an_unknown_architecture_keeps_the_base_config() -> None:
    base = FitConfig(lr=0.5)
    assert paper_recipe("no_such_net", base) == base


def test_int8_export_applies_to_dbnet_and_ctc_recognizers_not_clip_or_attention() -> None:
    for name, spec in ARCHITECTURES.items():
        if name.startswith(("dbnet", "crnn")):
            assert spec.int8, name
        if name.startswith(("tcm", "abinet", "clip4str")):
            assert not spec.int8, name
    assert {spec.role for spec in ARCHITECTURES.values()} == set(ROLES)


def test_the_stores_model_roles_are_the_role_names() -> None:
    from ocrstudio.store import ModelRole

    assert sorted(m.value for m in ModelRole) == sorted(ROLES)


def _card(folder: Path, architecture: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.json").write_text(
        json.dumps({"architecture": architecture, "role": "detector", "format_version": 1})
    )
    (folder / "model.safetensors").write_bytes(b"")
    return folder


def test_presets_pick_a_shipped_model_by_its_architecture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _card(tmp_path / "a_heavy", "dbnet_vgg16_craft")
    small = _card(tmp_path / "b_light", "dbnet_mobilenet_v3")
    monkeypatch.setattr(ocr, "shipped_dirs", lambda: [tmp_path])
    assert ocr.resolve_model(None, "detector", "fast") == small
    assert ocr.resolve_model(None, "detector", "accurate") == big


def test_the_spec_module_is_a_leaf_that_loads_no_torch() -> None:
    code = (
        "import sys, ocrstudio.engine.spec as s; "
        "assert 'torch' not in sys.modules, 'torch loaded'; print(s.ROLES)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "detector" in out.stdout
