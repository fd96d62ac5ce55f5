"""Internal: PDF image XObjects from :class:`ccmcore.images.Image` (stored once per job).

JPEG files that every PDF reader decodes (baseline, extended or progressive Huffman
coding, 8 bits, 1, 3 or 4 components) are embedded unchanged with /DCTDecode; a
4-component JPEG carrying Adobe's APP14 marker stores inverted CMYK (as Photoshop and
libjpeg write it), which /Decode [1 0 1 0 1 0 1 0] turns back. Everything else (PNG,
and JPEG with arithmetic coding, 12 bits or lossless) is decoded to 8-bit grey or RGB
samples and Flate-compressed, with a grey /SMask when the image has transparency.
"""

from __future__ import annotations

import io

import numpy as np
from isal import isal_zlib

from ..images import Image, JpegHeader, jpeg_header

__all__ = ["JpegInfo", "jpeg_info", "EncodedImage", "encode_image"]

# start-of-frame markers PDF's DCTDecode reads: baseline, extended sequential, progressive;
# the others (lossless, hierarchical, arithmetic) are decoded and re-encoded instead
_DCT_SOF = (0xC0, 0xC1, 0xC2)
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
# 16-bit grey PNGs load as these; Pillow's conversion to "L" clips instead of scaling
_WIDE_GREY = ("I", "I;16", "I;16B", "I;16L")


class JpegInfo(JpegHeader):
    """What a JPEG's headers say (:class:`ccmcore.images.JpegHeader`), and whether PDF
    takes the file as it is."""

    @property
    def embeddable(self) -> bool:
        """True when the file can go into the PDF as is (/DCTDecode)."""
        # height 0: the height comes later in a DNL marker, which PDF readers do not expect
        return (
            self.sof in _DCT_SOF
            and self.bits == 8
            and self.components in (1, 3, 4)
            and self.width > 0
            and self.height > 0
        )


def jpeg_info(data: bytes) -> JpegInfo:
    """Read a JPEG's marker segments up to its first frame header.

    Raises:
        ImageError: the markers are malformed or there is no frame header.
    """
    return JpegInfo(**vars(jpeg_header(data)))


class EncodedImage:
    """An image ready for the PDF: its XObject dictionary entries, data and optional mask.

    Attributes:
        head: dictionary entries of the image XObject without /Length, /Filter, /SMask.
        data: the stream's bytes (already DCT- or Flate-encoded when ``filter`` is set).
        filter: b"/DCTDecode", b"/FlateDecode" or b"" (uncompressed).
        smask: the soft mask's (head, data, filter), or None when the image is opaque.
    """

    __slots__ = ("head", "data", "filter", "smask")

    def __init__(self, head: bytes, data: bytes, filter: bytes, smask):
        self.head = head
        self.data = data
        self.filter = filter
        self.smask = smask

    def bodies(self, smask_num: int | None) -> list[bytes]:
        """Object bodies: the image XObject (pointing at ``smask_num``), then the mask."""
        head = self.head
        if self.smask is not None:
            if smask_num is None:
                raise ValueError("this image has a soft mask: give its object number")
            head += b"/SMask %d 0 R" % smask_num
        out = [_body(head, self.data, self.filter)]
        if self.smask is not None:
            out.append(_body(*self.smask))
        return out


def _body(head: bytes, data: bytes, filt: bytes) -> bytes:
    if filt:
        head += b"/Filter" + filt
    return b"<<%s/Length %d>>\nstream\n%s\nendstream" % (head, len(data), data)


def encode_image(image: Image, level: int | None) -> EncodedImage:
    """The PDF form of an image.

    Args:
        image: a loaded :class:`ccmcore.images.Image`.
        level: isal deflate level 0-3 for decoded samples, or None to store them raw.

    Raises:
        ImageError: the JPEG's markers are malformed.
    """
    if image.format == "jpeg":
        info = jpeg_info(image.data)
        if info.embeddable:
            space = {1: b"/DeviceGray", 3: b"/DeviceRGB", 4: b"/DeviceCMYK"}[info.components]
            head = b"/Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace%s/BitsPerComponent 8" % (
                info.width,
                info.height,
                space,
            )
            if info.components == 4 and info.adobe:
                head += b"/Decode[1 0 1 0 1 0 1 0]"
            return EncodedImage(head, image.data, b"/DCTDecode", None)

    def flate(data: bytes) -> tuple[bytes, bytes]:
        if level is None:
            return data, b""
        return isal_zlib.compress(data, level), b"/FlateDecode"

    alpha = image.alpha()
    grey = image.mode in _GREY_MODES
    if image.mode in _WIDE_GREY:
        px = _wide_grey(image)
        space = b"/DeviceGray"
    elif image.mode == "CMYK":  # a JPEG PDF cannot take as it is: keep its colours in CMYK
        px = image.pixels("CMYK")
        space = b"/DeviceCMYK"
    elif alpha is not None:
        # straight (not pre-composed) colours under the mask, so edges are not whitened
        px = image.pixels("LA" if grey else "RGBA")[:, :, :-1]
        space = b"/DeviceGray" if grey else b"/DeviceRGB"
    else:
        px = image.pixels("L" if grey else "RGB")
        space = b"/DeviceGray" if grey else b"/DeviceRGB"
    h, w = px.shape[:2]
    head = b"/Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace%s/BitsPerComponent 8" % (w, h, space)
    data, filt = flate(np.ascontiguousarray(px, dtype=np.uint8).tobytes())
    smask = None
    if alpha is not None:
        mhead = b"/Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 8" % (w, h)
        mdata, mfilt = flate(np.ascontiguousarray(alpha, dtype=np.uint8).tobytes())
        smask = (mhead, mdata, mfilt)
    return EncodedImage(head, data, filt, smask)


def _wide_grey(image: Image) -> np.ndarray:
    """8-bit grey samples of a 16-bit grey image (0..65535 scaled, not clipped)."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(image.data)) as im:
        wide = np.asarray(im).astype(np.int64)
    return ((np.clip(wide, 0, 65535) * 255 + 32767) // 65535).astype(np.uint8)
