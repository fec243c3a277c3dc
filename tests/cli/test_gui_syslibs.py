"""Issue 27.15: `ocrstudio gui` itself checks the xcb plugin's system libraries before Qt
starts, and names the ones really missing (Qt's own message asked for libxcb-cursor0 where
libxcb-icccm4 and libxcb-keysyms1 were missing)."""

from __future__ import annotations

import subprocess

import pytest

from ocrstudio.cli import main
from ocrstudio.ui import syslibs

LDD = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f58)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


@pytest.fixture
def fresh_debian(monkeypatch):  # type: ignore[no-untyped-def]
    """A Linux desktop lacking icccm, keysyms and util (ldd says so of the plugin)."""
    absent = {"xcb-icccm", "xcb-keysyms"}
    monkeypatch.setattr(
        syslibs.ctypes.util,
        "find_library",
        lambda name: None if name in absent else f"lib{name}.so",
    )
    monkeypatch.setattr(syslibs.sys, "platform", "linux")
    monkeypatch.setattr(syslibs.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(syslibs, "xcb_plugin", lambda: syslibs.Path("/qt/libqxcb.so"))
    monkeypatch.setattr(
        syslibs.subprocess,
        "run",
        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=LDD, stderr=""),
    )
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)


def test_gui_verb_names_the_missing_libraries_before_qt_starts(
    fresh_debian, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    import ocrstudio.ui.app as app

    started: list[object] = []
    monkeypatch.setattr(app, "run", lambda *a, **k: started.append(a) or 0)
    assert main(["gui"]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1 libxcb-util1" in err
    assert "libxcb-cursor0" not in err, "a library that is there was named"
    assert not started, "Qt started although its plugin cannot load"


def test_gui_verb_starts_qt_when_nothing_is_missing(fresh_debian, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import ocrstudio.ui.app as app

    monkeypatch.setattr(syslibs.ctypes.util, "find_library", lambda name: f"lib{name}.so")
    monkeypatch.setattr(
        syslibs.subprocess,
        "run",
        lambda *a, **k: subprocess.CompletedProcess(
            a, 0, stdout="\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n", stderr=""
        ),
    )
    started: list[object] = []
    monkeypatch.setattr(app, "run", lambda *a, **k: started.append(a) or 0)
    assert main(["gui"]) == 0 and started
    assert "apt-get" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-util.so.1", "libxcb-util1"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libEGL.so.1", "libegl1"),
    ],
)
def test_a_soname_maps_to_its_debian_package(soname: str, package: str) -> None:
    assert syslibs.package_of(soname) == package


def test_offscreen_needs_no_xcb_libraries(fresh_debian, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert syslibs.check() is None
