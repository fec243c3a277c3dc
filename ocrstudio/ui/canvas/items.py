"""Scene items that draw regions from the Qt-free model (`core.types.Region`).

Each region is a plain `QGraphicsPolygonItem` whose pen and brush are set when its state
changes, so painting stays in C++ (no Python call per region per frame), and items are
cached as device pixmaps, so a pan blits them: that is what keeps an image with thousands
of regions smooth. Vertex handles are drawn by the view for the few selected regions only
(see `view.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPolygonItem

from ocrstudio.core.types import Region
from ocrstudio.services.unsure import UnsureRule

DEFAULT_RULE = UnsureRule()


class RegionState(Enum):
    VERIFIED = "verified"
    HUMAN = "human"  # drawn or edited by a person, not yet verified
    MODEL = "model"  # proposed by a model, confident
    LOW = "low"  # proposed by a model, unsure by the one rule (services.unsure)
    IGNORE = "ignore"


def region_state(region: Region, rule: UnsureRule = DEFAULT_RULE) -> RegionState:
    if region.ignore:
        return RegionState.IGNORE
    if region.verified:
        return RegionState.VERIFIED
    if region.score is None and region.det_score is None:
        return RegionState.HUMAN
    return RegionState.LOW if rule.judge_record(region).unsure else RegionState.MODEL


@dataclass(frozen=True)
class Palette:
    """Line colours per state; fills are the same colours, translucent."""

    verified: str = "#2ecc71"
    human: str = "#3498db"
    model: str = "#f1c40f"
    low: str = "#ff3b30"
    ignore: str = "#9e9e9e"
    selected: str = "#00e5ff"

    def color(self, state: RegionState) -> QColor:
        return QColor(getattr(self, state.value))


PALETTE = Palette()
_PENS: dict[tuple[RegionState, bool], QPen] = {}
_BRUSHES: dict[tuple[RegionState, bool], QBrush] = {}


def _pen(state: RegionState, selected: bool) -> QPen:
    key = (state, selected)
    if key not in _PENS:
        color = PALETTE.color(state) if not selected else QColor(PALETTE.selected)
        pen = QPen(color, 3.0 if (selected or state is RegionState.LOW) else 2.0)
        pen.setCosmetic(True)  # constant on-screen width at any zoom
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        if state is RegionState.IGNORE:
            pen.setStyle(Qt.PenStyle.DashLine)
        _PENS[key] = pen
    return _PENS[key]


def _brush(state: RegionState, selected: bool) -> QBrush:
    key = (state, selected)
    if key not in _BRUSHES:
        c = PALETTE.color(state)
        c.setAlpha(90 if selected else (55 if state is RegionState.LOW else 28))
        _BRUSHES[key] = QBrush(c)
    return _BRUSHES[key]


def to_qpolygon(points: tuple[tuple[float, float], ...]) -> QPolygonF:
    return QPolygonF([QPointF(x, y) for x, y in points])


class LabelItem(QGraphicsItem):
    """A region's transcription on a dark plate above it. Painted in Python, but cached as
    a device pixmap, so panning blits it and only a zoom repaints it."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._text = ""
        self._font = QFont()
        self._rect = QRectF()
        self.size = 0.0

    def set(self, text: str, x: float, y: float, size: float) -> None:
        """The plate with its bottom-left corner at (x, y)."""
        self.prepareGeometryChange()
        self._text, self.size = text, size
        self._font.setPixelSize(max(1, int(size)))
        self._rect = QRectF(0, 0, *label_size(text, size))
        self.setPos(x, y - self._rect.height())
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, _option: object, _widget: object = None) -> None:
        painter.fillRect(self._rect, LABEL_PLATE)
        painter.setFont(self._font)
        painter.setPen(LABEL_TEXT)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self._text)


def label_size(text: str, size: float) -> tuple[float, float]:
    """Width and height of a label plate in scene units (its font is `size` pixels)."""
    font = QFont()
    font.setPixelSize(max(1, int(size)))
    return QFontMetricsF(font).horizontalAdvance(text) + 0.5 * size, 1.3 * size


LABEL_PLATE = QColor(0, 0, 0, 150)
LABEL_TEXT = QColor("#ffffff")
MIN_LABEL_PX = 10.0  # labels smaller than this on screen are hidden (unreadable clutter)


class OrderBadge(QGraphicsItem):
    """A region's reading-order number in a small disc at its first corner, the same size
    on screen at any zoom."""

    SIZE = 18.0

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(4)
        self.number = 0
        self.pending = False  # being renumbered: not yet given its new number

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-self.SIZE / 2, -self.SIZE / 2, self.SIZE, self.SIZE)

    def paint(self, painter: QPainter, _option: object, _widget: object = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#888888" if self.pending else "#ff9800"))
        painter.drawEllipse(self.boundingRect())
        painter.setPen(QColor("#000000"))
        font = QFont()
        font.setPixelSize(11)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            self.boundingRect(),
            Qt.AlignmentFlag.AlignCenter,
            "" if self.pending else str(self.number),
        )


class RegionItem(QGraphicsPolygonItem):
    """One region on the canvas; `rid` is its id in the project."""

    def __init__(
        self,
        rid: int,
        region: Region,
        show_text: bool = True,
        zoom: float = 1.0,
        rule: UnsureRule = DEFAULT_RULE,
    ):
        super().__init__()
        self.rid = rid
        self.rule = rule
        self.region = region
        self.selected = False
        self._label: LabelItem | None = None
        self._show_text = show_text
        self._zoom = zoom
        # where the view's label layout put the plate: "above", "below", or None (no room:
        # shown only while the region is selected or hovered)
        self.placement: str | None = "above"
        self.hovered = False
        self.badge: OrderBadge | None = None
        # Qt's own selection would paint a dashed box in C++ and fight our handles; the
        # view keeps the selection itself. The device cache makes a pan a pixmap blit.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(False)
        self.set_region(region)

    def set_region(self, region: Region) -> None:
        self.region = region
        self.setPolygon(to_qpolygon(region.polygon.points))
        if self.badge is not None:
            self.badge.setPos(*region.polygon.points[0])
        x0, y0, _x1, y1 = region.polygon.bounds
        self._anchor = (x0, y0)
        # The label scales with the image: its height follows the region's, so zooming
        # out shrinks labels with their regions instead of piling them up.
        self._label_px = max(6.0, min(48.0, 0.45 * (y1 - y0)))
        self._restyle()
        self._update_label()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self._restyle()
            self._update_label()

    def set_order_number(self, number: int | None, pending: bool = False) -> None:
        """Show `number` (1-based reading order) in a badge; None hides it."""
        if number is None:
            if self.badge is not None:
                self.badge.setVisible(False)
            return
        if self.badge is None:
            self.badge = OrderBadge(self)
        x, y = self.region.polygon.points[0]
        self.badge.setPos(x, y)
        self.badge.number, self.badge.pending = number, pending
        self.badge.setVisible(True)
        self.badge.update()

    def set_hovered(self, hovered: bool) -> None:
        if hovered != self.hovered:
            self.hovered = hovered
            self._update_label()

    def place_label(self, where: str | None) -> None:
        if where != self.placement:
            self.placement = where
            self._update_label()

    def label_rect(self, where: str) -> QRectF:
        """The plate's scene rectangle if placed `where` ("above" or "below")."""
        w, h = label_size(self._text(), self._label_px)
        x0, y0, _x1, y1 = self.region.polygon.bounds
        return QRectF(x0, y0 - h if where == "above" else y1, w, h)

    def set_show_text(self, show: bool) -> None:
        self._show_text = show
        self._update_label()

    def set_zoom(self, zoom: float) -> None:
        """Level of detail: labels too small to read at this zoom are hidden (and only
        made when first needed: most of thousands of labels never are)."""
        self._zoom = zoom
        visible = self._label is not None and self._label.isVisible()
        if self._label_wanted() != visible:
            self._update_label()

    @property
    def state(self) -> RegionState:
        return region_state(self.region, self.rule)

    def _restyle(self) -> None:
        state = self.state
        self.setPen(_pen(state, self.selected))
        self.setBrush(_brush(state, self.selected))
        self.setZValue(2 if self.selected else (1 if state is RegionState.LOW else 0))

    def _text(self) -> str:
        return "###" if self.region.ignore else self.region.text

    def _label_wanted(self) -> bool:
        placed = self.placement is not None or self.selected or self.hovered
        return (
            self._show_text
            and placed
            and bool(self._text())
            and self._label_px * self._zoom >= MIN_LABEL_PX
        )

    def _update_label(self) -> None:
        if not self._label_wanted():
            if self._label is not None:
                self._label.setVisible(False)
            return
        if self._label is None:
            self._label = LabelItem(self)
        x0, y0, _x1, y1 = self.region.polygon.bounds
        below = self.placement == "below"
        _w, h = label_size(self._text(), self._label_px)
        self._label.set(self._text(), x0, y1 + h if below else y0, self._label_px)
        self._label.setZValue(3 if self.selected or self.hovered else 0)
        self._label.setVisible(True)
