"""The package has no import circle (tools/import_cycles.py, on grimp's import graph)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "import_cycles.py"


def _import_cycles():  # noqa: ANN202 - the tool's function
    spec = importlib.util.spec_from_file_location("import_cycles", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.import_cycles


def test_the_finder_sees_a_circle(tmp_path: Path, monkeypatch) -> None:
    pkg = tmp_path / "circlepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from circlepkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from circlepkg import a  # lazy counts too\n")
    (pkg / "c.py").write_text("import circlepkg.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _import_cycles()("circlepkg") == [["circlepkg.a", "circlepkg.b"]]


def test_no_import_circle_in_ocrstudio() -> None:
    assert _import_cycles()("ocrstudio") == []


def test_a_type_only_import_is_no_circle(tmp_path: Path, monkeypatch) -> None:
    pkg = tmp_path / "typedpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "owner.py").write_text("from typedpkg import part\n")
    (pkg / "part.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from typedpkg import owner\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _import_cycles()("typedpkg") == []
