"""Render the app icon's PNG and ICO files from its SVG source.

    .venv/bin/python -m tests.render_icons

Run it after editing resources/icons/stepdesk.svg and commit the three files
together; tests/test_resources.py fails when the PNG no longer matches the SVG.
The app and the executables use the PNG (other platforms) and the ICO (Windows),
so running StepDesk needs no SVG renderer.
"""

import io
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "stepdesk.svg"
PNG = ICONS / "stepdesk.png"
ICO = ICONS / "stepdesk.ico"

PNG_SIDE = 256
ICO_SIDES = (16, 24, 32, 48, 64, 128, 256)
"""The sizes Windows picks from for title bars, the taskbar and Explorer views."""


def render(svg: Path, side: int) -> Image.Image:
    """Rasterise `svg` as a square of `side` pixels with a transparent background."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG file")
    image = QImage(side, side, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    render(SVG, PNG_SIDE).save(PNG, optimize=True)
    print(f"wrote {PNG}")
    # Each ICO size is rendered from the SVG rather than scaled down from the
    # largest bitmap, so the small sizes stay sharp.
    images = [render(SVG, side) for side in ICO_SIDES]
    images[-1].save(ICO, sizes=[(side, side) for side in ICO_SIDES], append_images=images[:-1])
    print(f"wrote {ICO}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
