"""Render the main window on a pre-labeled dense sign, zoomed to its text (how
docs/screenshots/dense_sign.png is made, from ICDAR 2015's img_120):

    ocrstudio project new P --images PHOTOS     # a folder holding img_120.jpg
    ocrstudio prelabel P --preset fast
    QT_QPA_PLATFORM=offscreen python docs/screenshots/dense_sign.py P OUT.png
"""

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt

from ocrstudio.ui.app import application, screenshot, settle
from ocrstudio.ui.main_window import MainWindow
from ocrstudio.ui.testing import isolated_settings

app = application()
w = MainWindow(isolated_settings(Path(tempfile.mkdtemp())))
w.resize(1400, 860)
w.show()
assert w.open_project(Path(sys.argv[1]), rescan=False)
settle(app)
w.thumbnails.pool.waitForDone(5000)
settle(app)
boxes = [it.sceneBoundingRect() for it in w.canvas.items_by_id.values()]
area = boxes[0]
for b in boxes[1:]:
    area = area.united(b)
w.canvas.fitInView(area.adjusted(-40, -60, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
w.canvas._zoom_changed()
low = [r.id for r in w.editor.region_model.records if r.score is not None and r.score < 0.6]
w.canvas.select(low[:1])
settle(app)
screenshot(w, Path(sys.argv[2]))
w.close()
