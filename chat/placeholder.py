"""The image Spika answers for a file it cannot find (spec 2024 §6: ``no-image-icon.png``).

Built here rather than shipped as a binary: a 32x32 grey frame crossed by a diagonal, under
200 bytes of PNG, the same on every call.
"""

import struct
import zlib
from functools import cache

FILE_NAME = "no-image-icon.png"
SIZE = 32
_BACKGROUND = (0xEE, 0xEE, 0xEE)
_INK = (0x9E, 0x9E, 0x9E)


def _pixel(x: int, y: int) -> tuple[int, int, int]:
    frame = min(x, y, SIZE - 1 - x, SIZE - 1 - y) < 2
    diagonal = abs(x - (SIZE - 1 - y)) < 2
    return _INK if frame or diagonal else _BACKGROUND


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def no_image_png() -> bytes:
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    rows = b"".join(
        b"\x00" + bytes(value for x in range(SIZE) for value in _pixel(x, y)) for y in range(SIZE)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )
