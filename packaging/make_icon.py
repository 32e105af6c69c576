"""Draw Kappa's icon (a secure container with a K on its lid) into app/resources/kappa.png and kappa.ico.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py

The icon is drawn with paths only (no font), so every machine draws the same picture. The PNG is 256 px; the ICO
holds 16 to 256 px images, each PNG-compressed (Windows Vista and later read those). The generated files are kept
in git: a build does not need to run this.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen

RESOURCES = Path(__file__).resolve().parent.parent / "app" / "resources"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw(size: int) -> QImage:
    """The icon at `size` pixels, drawn on a 256-unit canvas."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 256, size / 256)

    # the case: a dark rounded box with a lighter lid band
    body = QRectF(20, 52, 216, 184)
    gradient = QLinearGradient(QPointF(0, body.top()), QPointF(0, body.bottom()))
    gradient.setColorAt(0, QColor("#3c4147"))
    gradient.setColorAt(1, QColor("#1f2226"))
    painter.setPen(QPen(QColor("#101214"), 6))
    painter.setBrush(gradient)
    painter.drawRoundedRect(body, 30, 30)
    # the handle on top
    handle = QPainterPath()
    handle.addRoundedRect(QRectF(84, 18, 88, 46), 18, 18)
    handle.addRoundedRect(QRectF(104, 34, 48, 22), 8, 8)
    handle.setFillRule(Qt.FillRule.OddEvenFill)
    painter.setBrush(QColor("#2b2f34"))
    painter.drawPath(handle)
    # the lid seam and the two latches
    painter.setPen(QPen(QColor("#0c0d0f"), 5))
    painter.drawLine(QPointF(24, 100), QPointF(232, 100))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#c9a227"))
    for x in (46, 190):
        painter.drawRoundedRect(QRectF(x, 88, 20, 26), 4, 4)
    # the K, in the amber of the latches
    k = QPainterPath()
    k.moveTo(92, 124)
    k.lineTo(116, 124)
    k.lineTo(116, 162)
    k.lineTo(148, 124)
    k.lineTo(176, 124)
    k.lineTo(138, 168)
    k.lineTo(178, 214)
    k.lineTo(150, 214)
    k.lineTo(116, 174)
    k.lineTo(116, 214)
    k.lineTo(92, 214)
    k.closeSubpath()
    painter.setBrush(QColor("#e0b33a"))
    painter.drawPath(k)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not write a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """An ICO file of PNG-compressed images (ICONDIR, one ICONDIRENTRY each, then the PNGs)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = [], []
    for size, blob in sorted(images.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    assert app is not None
    RESOURCES.mkdir(parents=True, exist_ok=True)
    (RESOURCES / "kappa.png").write_bytes(png_bytes(draw(256)))
    (RESOURCES / "kappa.ico").write_bytes(ico_bytes({size: png_bytes(draw(size)) for size in ICO_SIZES}))
    print(f"wrote {RESOURCES / 'kappa.png'} and {RESOURCES / 'kappa.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
