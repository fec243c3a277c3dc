"""The system libraries Qt's xcb platform plugin loads, checked before the window starts:
a fresh Debian or Ubuntu lacks some, and Qt then only says "Could not load the Qt platform
plugin xcb" or names the wrong one (libxcb-cursor0 where icccm4 and keysyms1 were
missing). `ocrstudio gui` and `python -m ocrstudio.ui.syslibs` (what `make run` calls) print
the exact apt-get line and stop when one is missing. Qt-free, so it runs before Qt loads."""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# library name (as ctypes.util.find_library takes it) -> the Debian/Ubuntu package
XCB_LIBRARIES: dict[str, str] = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-randr": "libxcb-randr0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "EGL": "libegl1",
    "fontconfig": "libfontconfig1",
}


def missing_packages() -> list[str]:
    """Packages whose library the dynamic linker cannot find: those of the list above,
    and any other the plugin itself links to and `ldd` cannot resolve."""
    missing = [pkg for lib, pkg in XCB_LIBRARIES.items() if not ctypes.util.find_library(lib)]
    extra = (package_of(name) for name in unresolved(xcb_plugin()))
    return missing + sorted({p for p in extra if p not in missing})


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    for root in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def unresolved(plugin: Path | None) -> list[str]:
    """The sonames `ldd` reports "not found" for `plugin` (none where ldd is absent)."""
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        out = subprocess.run(
            [ldd, str(plugin)], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(re.findall(r"^\s*(\S+) => not found", out, flags=re.MULTILINE)))


def package_of(soname: str) -> str:
    """The Debian package of a soname: the table's, else Debian's naming rule
    (libxcb-util.so.1 -> libxcb-util1, libfoo-x11.so.0 -> libfoo-x11-0)."""
    match = re.fullmatch(r"lib(.+)\.so\.(\d+).*", soname)
    if match is None:
        return soname
    name, major = match.groups()
    if name in XCB_LIBRARIES:
        return XCB_LIBRARIES[name]
    return f"lib{name}-{major}" if name[-1].isdigit() else f"lib{name}{major}"


def apt_line(packages: list[str]) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


def check() -> str | None:
    """What to tell a person before Qt loads the xcb plugin, or None when all is there."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") in (
        "offscreen",
        "minimal",
        "wayland",
    ):
        return None  # no xcb plugin will be loaded
    missing = missing_packages()
    if not missing:
        return None
    return (
        "Qt's xcb platform plugin needs system libraries that are missing. Install "
        f"them:\n    {apt_line(missing)}"
    )


def main() -> int:
    message = check()
    if message:
        print(message, file=sys.stderr)
    return 1 if message else 0


if __name__ == "__main__":
    raise SystemExit(main())
