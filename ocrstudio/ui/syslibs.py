"""The system libraries Qt's xcb platform plugin loads, checked before the window starts:
a fresh Debian or Ubuntu lacks some, and Qt then only says "Could not load the Qt platform
plugin xcb". `python -m ocrstudio.ui.syslibs` (what `make run` calls) prints the exact
apt-get line and exits 1 when one is missing. Qt-free, so it runs before Qt loads."""

from __future__ import annotations

import ctypes.util
import os
import sys

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
    """Packages whose library the dynamic linker cannot find."""
    return [pkg for lib, pkg in XCB_LIBRARIES.items() if not ctypes.util.find_library(lib)]


def apt_line(packages: list[str]) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


def main() -> int:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") in (
            "offscreen", "minimal", "wayland"):
        return 0  # no xcb plugin will be loaded
    missing = missing_packages()
    if not missing:
        return 0
    print("Qt's xcb platform plugin needs system libraries that are missing. Install them:\n"
          f"    {apt_line(missing)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
