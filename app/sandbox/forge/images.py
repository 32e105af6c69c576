"""Mod thumbnails for the local Forge: small generated PNGs, served only to requests from the Forge's own site.

The real Forge keeps thumbnails on an image host under sp-mod.com that refuses hotlinks: a request whose `Referer` is
not the site answers 403. The local Forge mirrors that at ``/images/mods/<id>.png``, so the demo shows thumbnails and
tests can prove that Kappa sends the Referer. The pictures are drawn here with zlib and struct (no imaging library):
a diagonal two-colour gradient whose hue comes from the mod id, with a light square, disc or diamond in the middle,
the same bytes on every run.
"""

from __future__ import annotations

import colorsys
import re
import struct
import zlib
from functools import lru_cache

THUMBNAIL_PATH = re.compile(r"^/images/mods/(\d+)\.png$")
THUMBNAIL_SIZE = 96  # pixels per side; the Browse view shows them at 48-64 logical pixels


def thumbnail_path(mod_id: int) -> str:
    return f"/images/mods/{mod_id}.png"


def referer_allowed(referer: str | None, root_url: str) -> bool:
    """What the image host's hotlink protection lets through: a page of the Forge's own site (scheme, host and port
    must match; a missing Referer is refused like any other site's)."""
    if not referer:
        return False
    site = root_url.rstrip("/") + "/"
    return referer == site or referer.startswith(site)


@lru_cache(maxsize=256)
def mod_thumbnail_png(mod_id: int, size: int = THUMBNAIL_SIZE) -> bytes:
    """A deterministic RGB PNG for one mod."""
    seed = zlib.crc32(str(mod_id).encode())
    hue = (seed % 360) / 360
    dark = _rgb(hue, 0.55, 0.45)
    light = _rgb((hue + 0.08) % 1.0, 0.45, 0.80)
    inside = _SHAPES[seed // 360 % len(_SHAPES)]
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0 (None) for every scanline
        for x in range(size):
            if inside((x + 0.5) / size - 0.5, (y + 0.5) / size - 0.5):
                row += bytes((245, 245, 245))
            else:
                row += bytes(_mix(dark, light, (x + y) / (2 * size - 2)))
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


# The light mark in the middle, in coordinates from -0.5 to 0.5: a square, a disc or a diamond.
_SHAPES = (
    lambda x, y: max(abs(x), abs(y)) < 0.17,
    lambda x, y: x * x + y * y < 0.2 ** 2,
    lambda x, y: abs(x) + abs(y) < 0.24,
)


def _rgb(hue: float, saturation: float, value_level: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value_level)
    return round(r * 255), round(g * 255), round(b * 255)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t)


def _png(width: int, height: int, scanlines: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(scanlines, 9)) \
        + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
