"""The live plot of a run, shared by the training and improve dialogs: training loss per
step above, validation metrics per evaluation below."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget


class LossPlot(QWidget):
    """Training loss per step above, validation metrics per evaluation below (pyqtgraph:
    a report costs a `setData`, not a repaint of everything)."""

    SKIP = frozenset({"count", "images", "samples", "split", "epoch", "step"})

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.view.setMinimumHeight(260)
        self.loss_plot = self.view.addPlot(row=0, col=0, title="training loss")
        self.val_plot = self.view.addPlot(row=1, col=0, title="validation")
        for p in (self.loss_plot, self.val_plot):
            p.showGrid(x=True, y=True, alpha=0.3)
        self.val_plot.setLabel("bottom", "step")
        self.val_plot.setXLink(self.loss_plot)
        self.loss = self.loss_plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2))
        self.val_curves: dict[str, Any] = {}
        self.colours: dict[str, str] = {}
        self.steps: list[float] = []
        self.losses: list[float] = []
        self.val: dict[str, tuple[list[float], list[float]]] = {}
        self.val_name = "validation"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    def clear(self, val_name: str = "validation") -> None:
        """A new run draws on an empty plot, never over the last run's curves."""
        self.steps.clear()
        self.losses.clear()
        self.loss.setData([], [])
        for curve in self.val_curves.values():
            self.val_plot.removeItem(curve)
        self.val_curves.clear()
        self.colours.clear()
        self.val.clear()
        self.val_name = val_name
        self.val_plot.setTitle(val_name)

    def add(self, p: Any) -> None:
        step, loss = getattr(p, "step", None), getattr(p, "loss", None)
        if step is None:
            return
        phase = getattr(p, "phase", "train")
        if phase == "train" and loss is not None:
            self.steps.append(float(step))
            self.losses.append(float(loss))
            self.loss.setData(self.steps, self.losses)
        if phase == "eval" and getattr(p, "val", None):
            for k, v in p.val.items():
                if k in self.SKIP or isinstance(v, bool) or not isinstance(v, int | float):
                    continue
                xs, ys = self.val.setdefault(k, ([], []))
                xs.append(float(step))
                ys.append(float(v))
                self._curve(k).setData(xs, ys)
            # the title is the legend: a legend box would cover the curves of a small plot
            names = "  ".join(
                f"<span style='color:{c}'>{k}</span>" for k, c in self.colours.items()
            )
            count = p.val.get("count")
            where = f"{self.val_name}, {int(count)} samples" if count else self.val_name
            self.val_plot.setTitle(f"{where}: {names}")

    def _curve(self, key: str) -> Any:
        if key not in self.val_curves:
            palette = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
            colour = palette[len(self.val_curves) % len(palette)]
            self.colours[key] = colour
            pen = self._pg.mkPen(colour, width=2)
            self.val_curves[key] = self.val_plot.plot(
                [], [], pen=pen, symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=colour
            )
        return self.val_curves[key]
