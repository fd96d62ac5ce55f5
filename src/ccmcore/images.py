"""Raster images (PNG, JPEG) for logos, signatures and pictures.

An :class:`Image` is read and fully decoded once, when the template is compiled, so a
broken file is a clear error before any page is made; backends store each image once per
job (a PDF image XObject, an AFP IOCA object in the resource group) however many pages
show it.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from .errors import CcmError

__all__ = ["Image", "ImageError"]


class ImageError(CcmError, ValueError):
    """An image file cannot be read or is not a PNG or JPEG image."""


class Image:
    """A PNG or JPEG image.

    Args:
        source: a path, or the file's bytes.
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
            path = Path(source)
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
