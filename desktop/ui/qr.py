"""QR codes drawn so that phone cameras read them from the screen.

Dark modules on white with a four-module quiet zone whatever the theme,
error correction level M, the lowest version that fits, and every module
drawn as a square of a whole number of device pixels with no smoothing.
"""

import qrcode
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QWidget

QUIET_ZONE_MODULES = 4


def qr_modules(payload: str) -> list[list[bool]]:
    """Return the QR matrix of `payload` without the quiet zone; True is a dark module."""
    code = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def render_qr(modules: list[list[bool]], module_pixels: int) -> QImage:
    """Draw `modules` with the quiet zone, `module_pixels` device pixels per module."""
    side = (len(modules) + 2 * QUIET_ZONE_MODULES) * module_pixels
    image = QImage(side, side, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    black = QColor("black")
    for row_index, row in enumerate(modules):
        for column_index, dark in enumerate(row):
            if dark:
                painter.fillRect(
                    (column_index + QUIET_ZONE_MODULES) * module_pixels,
                    (row_index + QUIET_ZONE_MODULES) * module_pixels,
                    module_pixels,
                    module_pixels,
                    black,
                )
    painter.end()
    return image


class QrCodeWidget(QWidget):
    """Shows one QR code at the largest whole-pixel module size that fits."""

    MODULE_PIXELS = 5
    """Logical pixels per module, rounded down to whole device pixels on scaled screens."""

    def __init__(self, payload: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._modules = qr_modules(payload)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFixedSize(self.sizeHint())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        # The device pixel ratio is known for certain only once the widget is on a screen.
        self.setFixedSize(self.sizeHint())
        super().showEvent(event)

    def _side_modules(self) -> int:
        return len(self._modules) + 2 * QUIET_ZONE_MODULES

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Whole device pixels per module, and a logical size rounded up so the
        # whole image fits at any scale factor.
        ratio = self.devicePixelRatioF() or 1.0
        module_device_pixels = max(1, int(self.MODULE_PIXELS * ratio))
        pixels = self._side_modules() * module_device_pixels
        side = int(-(-pixels // ratio))
        return QSize(side, side)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        ratio = self.devicePixelRatioF() or 1.0
        device_side = int(min(self.width(), self.height()) * ratio)
        module_pixels = max(1, device_side // self._side_modules())
        image = render_qr(self._modules, module_pixels)
        # The image carries the screen's ratio, so Qt maps it one image pixel
        # to one device pixel instead of scaling it.
        image.setDevicePixelRatio(ratio)
        # Centre on a whole device pixel so module edges stay on pixel boundaries.
        left = int((self.width() * ratio - image.width()) // 2) / ratio
        top = int((self.height() * ratio - image.height()) // 2) / ratio
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.fillRect(self.rect(), QColor("white"))
        painter.drawImage(QPointF(left, top), image)
        painter.end()
