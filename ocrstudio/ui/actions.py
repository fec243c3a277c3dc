"""Every command of the window with its shortcuts, in one table: the menus, the toolbar
and the shortcuts help dialog are all made from it, so they cannot disagree.

Single-key shortcuts are safe while typing: Qt offers a key to the focused text field
first (ShortcutOverride), and a text field claims every key that types a character, so
"q" typed into a transcription never switches to the quad tool, and IME composition
never reaches the shortcut map at all. The canvas claims them too while one region is
selected (typing there starts editing its text, `canvas/keys.py`): single-letter
shortcuts act only with no single region selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    shortcuts: tuple[str, ...] = ()
    menu: str = ""
    tip: str = ""
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new_project", "&New project from folder…", ("Ctrl+N",), "File"),
    ActionSpec("open_project", "&Open project…", ("Ctrl+O",), "File"),
    ActionSpec(
        "quick_ocr",
        "&Quick OCR of a photo…",
        ("Ctrl+Shift+O",),
        "File",
        "Read any photo with the shipped models, no project needed (or paste one)",
    ),
    ActionSpec(
        "rescan",
        "&Rescan image folder",
        (),
        "File",
        "Add photos put in the folder since, and list missing ones",
    ),
    ActionSpec("demo_project", "Create &demo project", (), "File"),
    ActionSpec("import_labels", "&Import labels…", ("Ctrl+I",), "File"),
    ActionSpec("export_labels", "&Export labels…", ("Ctrl+E",), "File"),
    ActionSpec("close_project", "&Close project", ("Ctrl+W",), "File"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "File"),
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), "Edit"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit"),
    ActionSpec("copy", "&Copy regions", ("Ctrl+C",), "Edit"),
    ActionSpec("paste", "&Paste regions", ("Ctrl+V",), "Edit"),
    ActionSpec("delete", "&Delete regions", ("Delete", "Backspace"), "Edit"),
    ActionSpec("select_all", "Select &all regions", ("Ctrl+A",), "Edit"),
    ActionSpec(
        "toggle_ignore",
        "&Ignore regions (###)",
        ("Ctrl+Shift+I",),
        "Edit",
        "Mark the selected regions don't-care (###), or take the mark back",
    ),
    ActionSpec("find", "&Find and replace…", ("Ctrl+F",), "Edit"),
    ActionSpec("tool_edit", "&Select and edit", ("V",), "Tools", "Move regions and vertices", True),
    ActionSpec("tool_rect", "&Rectangle", ("R",), "Tools", "Drag a box", True),
    ActionSpec("tool_quad", "&Quad", ("Q",), "Tools", "Click four corners", True),
    ActionSpec(
        "tool_polygon",
        "&Polygon",
        ("P",),
        "Tools",
        "Click points; Enter or double-click closes",
        True,
    ),
    ActionSpec("fit", "&Fit image", ("F",), "View"),
    ActionSpec("zoom_in", "Zoom &in", ("+", "Ctrl+="), "View"),
    ActionSpec("zoom_out", "Zoom &out", ("-",), "View"),
    ActionSpec("toggle_text", "Show &transcriptions", ("T",), "View", "", True),
    ActionSpec(
        "show_order",
        "Show reading &order",
        ("O",),
        "View",
        "The number of each region in reading order",
        True,
    ),
    ActionSpec(
        "renumber",
        "Re&number by clicking",
        ("Shift+O",),
        "Edit",
        "Click the regions in reading order; Enter ends, Esc drops it",
    ),
    ActionSpec(
        "auto_order",
        "A&utomatic reading order",
        (),
        "Edit",
        "Lines top to bottom, words left to right (drops a person's order)",
    ),
    ActionSpec(
        "rotate_cw",
        "Rotate image 90° clock&wise",
        ("Ctrl+]",),
        "Edit",
        "The image and its regions, stored in the project (exports keep the file's frame)",
    ),
    ActionSpec(
        "rotate_ccw",
        "Rotate image 90° counter-clockwise",
        ("Ctrl+[",),
        "Edit",
        "The image and its regions, stored in the project",
    ),
    ActionSpec(
        "labels_selected",
        "Transcriptions of &selected and hovered only",
        ("Shift+T",),
        "View",
        "On dense signs the texts cover each other",
        True,
    ),
    ActionSpec(
        "edit_text",
        "&Edit text of region",
        ("F2",),
        "Navigate",
        "Enter on the canvas does the same",
    ),
    ActionSpec("next_image", "&Next image", ("D", "PgDown"), "Navigate"),
    ActionSpec("prev_image", "&Previous image", ("A", "PgUp"), "Navigate"),
    ActionSpec(
        "verify_next",
        "&Verified, next image",
        ("Ctrl+Return",),
        "Navigate",
        "Marks the image and all its regions verified, then opens the next",
    ),
    ActionSpec(
        "review_next",
        "Next in &review queue",
        ("Ctrl+R",),
        "Navigate",
        "The unverified model region with the lowest score",
    ),
    ActionSpec(
        "review_by_disagreement",
        "Review &disagreements first",
        (),
        "Navigate",
        "The review queue starts with the readings the second opinion disagrees "
        "with most (Models > Second opinion)",
        True,
    ),
    ActionSpec("prelabel_image", "Pre-label this &image", ("Ctrl+L",), "Models"),
    ActionSpec(
        "prelabel_all",
        "Pre-label &new images",
        ("Ctrl+Shift+L",),
        "Models",
        "Images never pre-labeled; the others keep what they have",
    ),
    ActionSpec(
        "prelabel_again",
        "Pre-label all unverified a&gain",
        (),
        "Models",
        "Replaces the model regions of every image not verified",
    ),
    ActionSpec(
        "check_unsure",
        "&Check unsure boxes by reading them",
        (),
        "Models",
        "Pre-labeling keeps a box the detector is unsure of only when its reading "
        "is sure (the detector card's check); off: every box the detector is sure "
        "of, unread ones too",
        True,
    ),
    ActionSpec(
        "second_opinion",
        "Second &opinion (rec_conclr)",
        (),
        "Models",
        "Reads every unchecked model reading again with rec_conclr; a region the two "
        "recognizers read differently is flagged for review",
    ),
    ActionSpec(
        "read_drawn",
        "Read &new regions at once",
        (),
        "Models",
        "A region just drawn is read in the background",
        True,
    ),
    ActionSpec(
        "rerecognize",
        "Re-&recognise selected regions",
        ("Ctrl+Shift+R",),
        "Models",
        "All regions of the image when none is selected",
    ),
    ActionSpec(
        "improve",
        "&Improve the models on my labels…",
        ("Ctrl+Shift+T",),
        "Models",
        "Fine-tune the active detector and recognizer on the verified photos in the "
        "background; a new model becomes active only where it reads better",
    ),
    ActionSpec("train", "&Train a model…", ("Ctrl+T",), "Models"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", ("F1",), "Help"),
)

# Keys handled by widgets themselves, listed in the help dialog beside the actions.
WIDGET_KEYS: tuple[tuple[str, str], ...] = (
    ("Tab / Shift+Tab", "Next / previous region in reading order (from the image list too)"),
    (
        "Letters (one region selected)",
        "Start typing its text (letter shortcuts act only with no single region selected)",
    ),
    (
        "Arrows / Shift+Arrows",
        "Nudge the selected regions, or the vertex last clicked, by 1 / 10 pixels",
    ),
    (
        "Enter (text field)",
        "Confirm the text: region verified, go to the next (in the "
        "review queue when it brought you here)",
    ),
    ("Enter (canvas)", "Edit the selected region's text"),
    ("Enter / double-click", "Close a polygon being drawn"),
    ("Backspace (drawing)", "Remove the last point placed"),
    ("Esc (canvas)", "Cancel drawing / clear the selection"),
    ("Esc (text field)", "Drop what was typed, back to the canvas"),
    ("Wheel", "Zoom at the cursor"),
    ("Middle-drag / Space+drag", "Pan"),
    ("Drag a handle", "Move a vertex"),
    ("Press on an edge", "Insert a vertex there"),
    ("Shift+click a handle", "Delete that vertex"),
    ("Ctrl+click / drag on empty space", "Add to the selection / select by rectangle"),
)


def build_actions(parent: QWidget, handlers: dict[str, Callable[[], object]]) -> dict[str, QAction]:
    """One QAction per spec, triggered into `handlers[name]` (every spec needs one)."""
    out: dict[str, QAction] = {}
    for spec in ACTIONS:
        act = QAction(spec.text, parent)
        act.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        act.setCheckable(spec.checkable)
        if spec.tip:
            act.setStatusTip(spec.tip)
            act.setToolTip(
                f"{spec.text.replace('&', '')} ({', '.join(spec.shortcuts)})\n{spec.tip}"
                if spec.shortcuts
                else spec.tip
            )
        handler = handlers[spec.name]
        act.triggered.connect(lambda _checked=False, h=handler: h())
        parent.addAction(act)
        out[spec.name] = act
    return out


def shortcut_rows() -> list[tuple[str, str, str]]:
    """(group, keys, what) for the help dialog."""
    rows = [
        (s.menu, ", ".join(s.shortcuts), s.text.replace("&", "").rstrip("…"))
        for s in ACTIONS
        if s.shortcuts
    ]
    rows += [("Canvas and text field", keys, what) for keys, what in WIDGET_KEYS]
    return rows
