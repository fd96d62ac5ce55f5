"""Raster images (PNG, JPEG) for logos, signatures and pictures.

An :class:`Image` is read and fully decoded once, when the template is compiled, so a
broken file is a clear error before any page is made; backends store each image once per
job (a PDF image XObject, an AFP IOCA object in the resource group) however many pages
show it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np

from .errors import CcmError
from .resources import resolve

__all__ = ["Image", "ImageError", "JpegHeader", "jpeg_header"]

# start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC)
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class ImageError(CcmError, ValueError):
    """An image file cannot be read or is not a PNG or JPEG image."""


class Image:
    """A PNG or JPEG image.

    Args:
        source: a path, or the file's bytes. A relative path in a template file loaded by
            ``ccm compose`` (or :func:`ccmcore.cli.load_document`) is relative to that file.
        name: a name for messages and resources (default: the file name).

    Attributes:
        data: the file's bytes, unchanged (JPEG can be embedded as it is).
        format: "png" or "jpeg".
        width_px, height_px: size in pixels.
        dpi: (x, y) resolution from the file, or None when it does not say.
        mode: "L" (grey), "RGB", "RGBA", "LA" or "CMYK" (after decoding).
        key: a content hash: equal images are stored once per job.

    Raises:
        ImageError: missing, unreadable, truncated or not PNG/JPEG.
    """

    def __init__(self, source, name: str | None = None):
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.data = bytes(source)
            self.name = name or "image"
        else:
            path = resolve(source)  # beside the template file that names it, when there is one
            try:
                self.data = path.read_bytes()
            except OSError as exc:
                raise ImageError(f"cannot read image {path}: {exc.strerror}") from exc
            self.name = name or path.name
        if self.data[:8] == b"\x89PNG\r\n\x1a\n":
            self.format = "png"
        elif self.data[:3] == b"\xff\xd8\xff":
            self.format = "jpeg"
        else:
            raise ImageError(f"image {self.name}: not a PNG or JPEG file")
        try:
            from PIL import Image as PILImage

            with PILImage.open(io.BytesIO(self.data)) as im:
                im.load()  # decodes every byte: a truncated or corrupt file fails here
                self.width_px, self.height_px = im.size
                self.mode = im.mode
                dpi = im.info.get("dpi")
                self.dpi = (float(dpi[0]), float(dpi[1])) if dpi and dpi[0] and dpi[1] else None
        except ImageError:
            raise
        except Exception as exc:  # Pillow raises many kinds for damaged files
            raise ImageError(f"image {self.name}: damaged or unsupported {self.format.upper()} ({exc})") from exc
        if self.width_px <= 0 or self.height_px <= 0:
            raise ImageError(f"image {self.name}: empty ({self.width_px}x{self.height_px} pixels)")
        self.key = hashlib.sha1(self.data).hexdigest()

    def __repr__(self) -> str:
        return f"Image({self.name!r}, {self.format}, {self.width_px}x{self.height_px})"

    def natural_size(self, default_dpi: float = 96.0) -> tuple[int, int]:
        """Size on the page in millipoints at the file's resolution (or default_dpi)."""
        dx, dy = self.dpi or (default_dpi, default_dpi)
        return round(self.width_px * 72000 / dx), round(self.height_px * 72000 / dy)

    def pixels(self, mode: str = "RGB") -> np.ndarray:
        """Decoded pixels, uint8 (height, width, channels) in the given Pillow mode.

        Transparent pixels are composed onto white for modes without alpha.
        """
        from PIL import Image as PILImage

        im: PILImage.Image
        with PILImage.open(io.BytesIO(self.data)) as im:
            if im.mode in ("RGBA", "LA", "P") and "A" not in mode:
                im = im.convert("RGBA")
                background = PILImage.new("RGBA", im.size, (255, 255, 255, 255))
                im = PILImage.alpha_composite(background, im)
            return np.asarray(im.convert(mode))

    def alpha(self) -> np.ndarray | None:
        """The alpha channel (uint8, height × width), or None when the image is opaque."""
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(self.data)) as im:
            if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
                a = np.asarray(im.convert("RGBA"))[:, :, 3]
                return None if a.min() == 255 else a
        return None


@dataclass(frozen=True)
class JpegHeader:
    """What a JPEG's marker segments up to its frame header say (:func:`jpeg_header`).

    Attributes:
        width, height: size in pixels from the frame header (height 0: given later, in a
            DNL marker).
        bits: sample precision.
        components: number of colour components.
        sof: the start-of-frame marker's second byte (0xC0 baseline, 0xC1 extended,
            0xC2 progressive, 0xC3 lossless, 0xC9.. arithmetic coding ...).
        ids: the components' identifiers, in frame header order.
        jfif: an APP0 "JFIF" segment is present.
        adobe: an APP14 "Adobe" segment is present.
        adobe_transform: its colour transform byte (0: none, RGB or CMYK; 1: YCbCr;
            2: YCCK), or -1 when no Adobe segment carries one.
    """

    width: int
    height: int
    bits: int
    components: int
    sof: int
    ids: bytes
    jfif: bool
    adobe: bool
    adobe_transform: int


def jpeg_header(data: bytes, name: str | None = None) -> JpegHeader:
    """Read a JPEG's marker segments up to its first frame header.

    Args:
        data: the JPEG file's bytes.
        name: the image's name, to begin error messages with ("image NAME: ...").

    Raises:
        ImageError: no SOI marker, malformed markers, or no frame header.
    """
    what = f"image {name}: " if name is not None else ""
    n = len(data)
    if data[:2] != b"\xff\xd8":
        raise ImageError(f"{what}not a JPEG file (no SOI marker)")
    i = 2
    jfif = adobe = False
    transform = -1
    while i < n:
        if data[i] != 0xFF:
            raise ImageError(f"{what}JPEG marker expected at byte {i}")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # segments without a length
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            break
        if i + 2 > n:
            break
        length = (data[i] << 8) | data[i + 1]
        if length < 2 or i + length > n:
            raise ImageError(f"{what}JPEG segment 0x{marker:02X} at byte {i - 2} runs past the end")
        seg = data[i + 2 : i + length]
        if marker == 0xE0 and seg[:5] == b"JFIF\x00":
            jfif = True
        elif marker == 0xEE and seg[:5] == b"Adobe":
            adobe = True
            if len(seg) >= 12:
                transform = seg[11]
        elif marker in _SOF:
            if len(seg) < 6:
                raise ImageError(f"{what}JPEG frame header too short")
            comps = seg[5]
            ids = bytes(seg[6 + 3 * k] for k in range(comps) if 6 + 3 * k < len(seg))
            return JpegHeader(
                width=(seg[3] << 8) | seg[4],
                height=(seg[1] << 8) | seg[2],
                bits=seg[0],
                components=comps,
                sof=marker,
                ids=ids,
                jfif=jfif,
                adobe=adobe,
                adobe_transform=transform,
            )
        i += length
    raise ImageError(f"{what}JPEG without a frame header")
