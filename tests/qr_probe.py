"""Child process for the QR crispness test: grab the QR widget and report on its pixels.

    QT_SCALE_FACTOR=1.5 python -m tests.qr_probe [--dark]

Prints one JSON object: the decoded text, the error correction level, the
device pixels per module, and any pixel that is neither black nor white or
any run of pixels that is not a whole number of modules.
"""

import io
import json
import sys

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from desktop.security import totp
from desktop.ui.qr import QrCodeWidget

PAYLOAD = totp.provisioning_uri(
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "StepDesk", "olivia@example.co.uk"
)


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#121212"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def runs(values: list[bool]) -> list[int]:
    lengths: list[int] = []
    for index, value in enumerate(values):
        if index and value == values[index - 1]:
            lengths[-1] += 1
        else:
            lengths.append(1)
    return lengths


def main() -> int:
    app = QApplication(sys.argv[:1])
    if "--dark" in sys.argv:
        app.setPalette(dark_palette())
    holder = QWidget()
    layout = QVBoxLayout(holder)
    qr = QrCodeWidget(PAYLOAD)
    layout.addWidget(qr)
    holder.show()
    app.processEvents()

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    qr.grab().save(buffer, "PNG")
    image = Image.open(io.BytesIO(bytes(buffer.data().data()))).convert("RGB")

    import zxingcpp

    results = zxingcpp.read_barcodes(image)
    width, height = image.size
    pixels = image.load()
    off_colour = [
        (x, y)
        for y in range(height)
        for x in range(width)
        if pixels[x, y] not in ((0, 0, 0), (255, 255, 255))
    ]
    rows = [[pixels[x, y] == (0, 0, 0) for x in range(width)] for y in range(height)]
    dark_rows = [row for row in rows if any(row)]
    inner_runs = [length for row in dark_rows for length in runs(row)[1:-1]]
    module = min(inner_runs) if inner_runs else 0
    uneven = sorted({length for length in inner_runs if module and length % module})
    report = {
        "ratio": qr.devicePixelRatioF(),
        "size": [width, height],
        "texts": [result.text for result in results],
        "ec_level": [result.ec_level for result in results],
        "module_pixels": module,
        "off_colour_pixels": len(off_colour),
        "uneven_runs": uneven,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
