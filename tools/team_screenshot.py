"""Issue 22 must-show: two member windows, two processes, side by side under one Xvfb
display, on one team project on a real PostgreSQL server; a screenshot of the screen
after alice (left) edited a region of the photo both have open. Bob's window (right)
shows her edit (picked up by polling), "By alice" on the region, and her lease.

    .venv/bin/python tools/team_screenshot.py docs/screenshots/team_two_windows.png

Needs Xvfb (apt-get install xvfb) and the PostgreSQL server binaries (tests/support/pgcluster.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
W, H = 1280, 820


def member(folder: str, name: str, x: int, edit: str) -> None:
    """One member's window at `x`; alice edits the first region after 3 s."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ocrstudio.ui.main_window import MainWindow
    from ocrstudio.ui.testing import isolated_settings

    os.environ["OCRSTUDIO_USER"] = name
    app = QApplication([])
    w = MainWindow(isolated_settings(Path(tempfile.mkdtemp())))
    w.setGeometry(x, 0, W, H)
    w.show()
    w.open_project(Path(folder), rescan=False)
    w.setWindowTitle(f"{name} — {w.windowTitle()}")

    def do_edit() -> None:
        rec = min(w.editor.records.values(), key=lambda r: r.order)
        w.editor.edit_regions([(rec.id, rec.to_region().with_(text=edit))], "Set text")
        w.canvas.select([rec.id])

    if edit:
        QTimer.singleShot(3000, do_edit)
    else:  # bob selects the region alice will change, to show it in his panel
        QTimer.singleShot(
            9000,
            lambda: w.canvas.select([min(w.editor.records.values(), key=lambda r: r.order).id]),
        )
    QTimer.singleShot(60_000, app.quit)
    app.exec()


def grab(out: str) -> None:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([])
    QGuiApplication.primaryScreen().grabWindow(0).save(out)
    del app


def main(out: Path) -> int:
    sys.path.insert(0, str(REPO))  # for tests.support
    from ocrstudio.services import team
    from ocrstudio.services.demo import write_demo_images
    from tests.support.pgcluster import PgCluster

    cluster = PgCluster()
    cluster.start()
    os.environ["PGPASSFILE"] = str(cluster.pgpass)
    display = ":77"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{2 * W}x{H}x24", "-nolisten", "tcp"],
        stderr=subprocess.DEVNULL,
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        folder = Path(tempfile.mkdtemp()) / "receipts"
        demo = write_demo_images(folder / "photos", count=4, verified=4)
        with team.create_team_project(folder, cluster.create_db("team"), folder / "photos"):
            pass
        from ocrstudio.services import annotation as an
        from ocrstudio.services.project import ProjectHandle

        with ProjectHandle(folder.resolve(), url=team.read_team_url(folder), author="carol") as h:
            ids = {Path(i.path).name: i.id for i in an.list_images(h)}
            for d in demo:
                an.add_regions(h, ids[d.file.name], list(d.labels.regions))
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        env.pop("XDG_CONFIG_HOME", None)
        time.sleep(2)
        for name, x, edit in (("alice", 0, "ALICE'S EDIT"), ("bob", W, "")):
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--member", str(folder), name, str(x), edit], env=env
                )
            )
            time.sleep(6)  # alice opens (and leases) the first photo before bob
        time.sleep(10)  # alice edits at 3 s; bob polls every 3 s
        subprocess.run([sys.executable, __file__, "--grab", str(out)], env=env, check=True)
        print(f"wrote {out}")
        return 0
    finally:
        for p in procs:
            p.terminate()
        xvfb.terminate()
        cluster.stop()


if __name__ == "__main__":
    if sys.argv[1] == "--member":
        member(*sys.argv[2:4], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "--grab":
        grab(sys.argv[2])
    else:
        sys.exit(main(Path(sys.argv[1]).resolve()))
