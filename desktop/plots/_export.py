"""Saving a plot as PNG (pyqtgraph's exporter) or SVG (Qt's own SVG writer).

pyqtgraph 0.14's SVGExporter fails on the closed paths ("... Z") that Qt 6.12 writes
(pyqtgraph issue #3495), so SVG goes through QSvgGenerator directly; items are put in
export mode first so that scatter symbols are drawn as vectors, not cached bitmaps.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph.exporters as exporters
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtSvg import QSvgGenerator

from desktop.plots import _style as style

PNG_SCALE = 2  # bitmaps at twice the on-screen size stay sharp in documents


def export_plot(item, path: str | Path, title: str = "") -> Path:
    """Save a plot's graphics item to ``path``; its extension (.png or .svg) is the format."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        exporter = exporters.ImageExporter(item)
        exporter.parameters()["width"] = PNG_SCALE * (int(item.boundingRect().width()) or 800)
        exporter.parameters()["background"] = QColor(style.BACKGROUND)
        exporter.export(str(path))
    elif suffix == ".svg":
        _write_svg(item, path, title)
    else:
        raise ValueError(f"export as .png or .svg, got {suffix or 'no extension'!r}")
    if not path.is_file():
        raise OSError(f"nothing was written to {path}")
    return path


def _write_svg(item, path: Path, title: str) -> None:
    scene = item.scene()
    source = item.sceneBoundingRect()
    target = QRectF(0, 0, source.width(), source.height())
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(target)
    generator.setTitle(title or "Knobs plot")
    # Match the screen: at the generator's default 72 dpi, items that size themselves in
    # device pixels (axes, text, markers) come out at another scale than the data.
    screen = QGuiApplication.primaryScreen()
    generator.setResolution(round(screen.logicalDotsPerInch()) if screen else 96)
    painter = QPainter()
    items = [i for i in scene.items() if hasattr(i, "setExportMode")]
    if not painter.begin(generator):
        raise OSError(f"cannot write {path}")
    try:
        opts = {"antialias": True, "background": QColor(style.BACKGROUND), "painter": painter}
        for i in items:
            i.setExportMode(True, opts)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(target, QColor(style.BACKGROUND))
        scene.render(painter, target, source)
    finally:
        painter.end()
        for i in items:
            i.setExportMode(False)
