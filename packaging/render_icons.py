"""Render the app icon's PNG sizes from its SVG source into a freedesktop hicolor theme folder.

Desktops look an application's icon up by name in `hicolor/<N>x<N>/apps/`; many draw only PNGs there, so
every size a panel, a menu or a launcher asks for is rendered here by Qt's own SVG renderer (PySide6, already
a dependency), and the SVG goes beside them as the scalable one. `make package` runs this; nothing rendered
is committed.

Usage: python packaging/render_icons.py SVG HICOLOR_DIR NAME
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render_icons(svg: Path, hicolor: Path, name: str) -> list[Path]:
    """Write `hicolor/<N>x<N>/apps/<name>.png` for every size and `hicolor/scalable/apps/<name>.svg`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window is shown; a display is not needed
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG image Qt can draw")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = hicolor / f"{size}x{size}" / "apps" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
        written.append(target)
    scalable = hicolor / "scalable" / "apps" / f"{name}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    return [*written, scalable]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    svg, hicolor, name = Path(argv[0]), Path(argv[1]), argv[2]
    for path in render_icons(svg, hicolor, name):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
