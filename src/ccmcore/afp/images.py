"""Internal: IOCA image objects for AFP output, and the Include Object fields placing them.

An image is stored once per job in the print file level resource group as an IOCA image
object (MO:DCA "Image Object", IOCA "Image Segment")::

    BRS name  (Resource Object Type X'06' IOCA image)
      BIM name
        BOG name
          OBD     object area: descriptor position 1, L-units, the image's natural size
          OBP     at (0, 0) of the including area, 0 degrees
          MIO     default mapping: scale to fit (X'20')
          IDD     image points per 10 inches, size in image points, IOCA function set
        EOG
        IPD       Begin Segment X'70', Begin Image Content X'91', Image Size X'94',
                  Image Encoding X'95', IDE Size X'96', [IDE Structure X'9B'],
                  [External Algorithm Specification X'9F']
        IPD...    one Image Data X'FE92' parameter each (32,748 bytes at most)
        IPD       End Image Content X'93', End Segment X'71'
      EIM
    ERS

Encodings (every one in a non-tiled IOCA function set that AFP colour printers accept):

* JPEG files coded the way IOCA printers decode them (baseline or extended sequential
  Huffman, 8-bit samples, 1 or 3 components) travel unchanged with compression X'83'
  (JPEG), IDE size 24 (or 8 for grey) and an External Algorithm Specification naming the
  JPEG process (its SOF marker), function set FS11. The IDE Structure names what the
  JPEG's components are: YCbCr (X'12', JFIF) or RGB (X'01', Adobe APP14 transform 0);
  a one-component JPEG is the Y of YCbCr. Keeping the file as it is makes photos small
  and adds no second generation of JPEG loss.
* Everything else (PNG, progressive or arithmetic-coded or CMYK JPEG) is decoded,
  transparency composed onto white, and stored uncompressed (X'03', RIDIC recording):
  - pure black-and-white images (every pixel 0 or 255) as bilevel, 1 bit per image point,
    1 = black, function set FS10, which every IPDS printer supports;
  - grey images (R = G = B everywhere) as 8-bit grey (IDE Structure YCbCr, Y only), FS11;
  - all others as 24-bit RGB (IDE Structure RGB, additive), FS11.
  Uncompressed samples are the one non-bilevel encoding every FS11 printer must take; the
  images this serves (logos, signatures, small pictures) stay small.

Names: ``I`` plus seven base-36 digits of the image's content hash, so the same image gets
the same name in every job (and a different image almost surely another name; two images
of one job that collide get the next candidate).

Placement: an IOB (Include Object, type X'FB' image) positions the object area's top-left
corner at the item's X, Y and gives the object area size W x H in L-units (Measurement
Units X'4B' + Object Area Size X'4C'), with a Mapping Option X'04': scale to fit (X'20'),
the option every IOCA printer supports, when the image's aspect ratio fills the area to
within one L-unit, else scale to fill (X'60'), which stretches the image to the area.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..images import Image, ImageError, JpegHeader, jpeg_header
from . import sf as S

__all__ = ["IocaImage", "image_name", "ioca_image", "include_object", "MAP_SCALE_TO_FIT", "MAP_SCALE_TO_FILL"]

MAP_SCALE_TO_FIT = 0x20
MAP_SCALE_TO_FILL = 0x60

#: IOCA Image Data (X'FE92') bytes per parameter: one parameter per IPD structured field.
_CHUNK = S.MAX_SF_DATA - 4
#: BRS Resource Object Type X'21': IOCA image object.
_OBJTYPE_IMAGE = 0x06
#: IOB ObjType: image object.
_IOB_IMAGE = 0xFB
#: IDD Set IOCA Function Set Identification values.
_FS10 = 0x0A
_FS11 = 0x0B
#: IDE Structure FORMAT values.
_RGB = 0x01
_YCBCR = 0x12
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_L_PER_10IN = 14400
_DEFAULT_DPI = 96.0


@dataclass(frozen=True)
class IocaImage:
    """An image stored in the resource group: what its Include Objects need to know.

    Attributes:
        name: the 8-character resource name.
        token: the name as the 8 EBCDIC bytes structured fields carry.
        width_px, height_px: size in image points.
        xres, yres: image points per 10 inches (the IDD and Image Size resolution).
        encoding: "jpeg", "rgb", "grey" or "bilevel".
    """

    name: str
    token: bytes
    width_px: int
    height_px: int
    xres: int
    yres: int
    encoding: str

    def mapping(self, w: int, h: int) -> int:
        """The Mapping Option for an object area of w x h L-units: scale to fit when the
        image's aspect ratio fills it to within one L-unit, else scale to fill."""
        iw = self.width_px * _L_PER_10IN / self.xres  # natural size, L-units (fractional)
        ih = self.height_px * _L_PER_10IN / self.yres
        scale = min(w / iw, h / ih)
        if w - iw * scale <= 1.0 and h - ih * scale <= 1.0:
            return MAP_SCALE_TO_FIT
        return MAP_SCALE_TO_FILL


def image_name(key: str, taken) -> str:
    """A deterministic 8-character resource name from an image's content hash.

    Args:
        key: the image's content hash (hex).
        taken: names already used in the job; a colliding name moves to the next candidate.
    """
    k = 0
    while True:
        h = key if k == 0 else hashlib.sha1(f"{key}:{k}".encode("ascii")).hexdigest()
        n = int(h, 16) % 36**7
        digits = ""
        for _ in range(7):
            n, r = divmod(n, 36)
            digits = _B36[r] + digits
        name = "I" + digits
        if name not in taken:
            return name
        k += 1


# ---------------------------------------------------------------------- the object


def _resolution(image: Image) -> tuple[int, int]:
    dx, dy = image.dpi or (_DEFAULT_DPI, _DEFAULT_DPI)
    return (min(32767, max(1, round(dx * 10))), min(32767, max(1, round(dy * 10))))


def ioca_image(image: Image, name: str) -> tuple[IocaImage, Iterator[bytes]]:
    """The IOCA form of an image: its description, and its resource's structured fields.

    The structured fields are produced lazily (decoded samples exist only while the
    iterator runs), BRS first, ERS last.

    Args:
        image: a loaded :class:`ccmcore.images.Image`.
        name: its 8-character resource name (:func:`image_name`).

    Raises:
        ImageError: a dimension beyond IOCA's 32,767 image points, or malformed JPEG markers.
    """
    w, h = image.width_px, image.height_px
    if w > 32767 or h > 32767:
        raise ImageError(f"image {image.name}: {w}x{h} pixels exceeds IOCA's 32,767 image points per side")
    xres, yres = _resolution(image)
    jpeg = None
    if image.format == "jpeg":
        jpeg = jpeg_header(image.data, image.name)
        if not (
            jpeg.sof in (0xC0, 0xC1)
            and jpeg.bits == 8
            and jpeg.components in (1, 3)
            and (jpeg.width, jpeg.height) == (w, h)
        ):
            jpeg = None
    if jpeg is not None:
        encoding = "jpeg"
        samples = None
    else:
        px = image.pixels("RGB")
        r, g, b = px[:, :, 0], px[:, :, 1], px[:, :, 2]
        if np.array_equal(r, g) and np.array_equal(g, b):
            samples = np.ascontiguousarray(r)
            encoding = "bilevel" if bool(((samples == 0) | (samples == 255)).all()) else "grey"
        else:
            samples = np.ascontiguousarray(px, dtype=np.uint8)
            encoding = "rgb"
        del px, r, g, b
    info = IocaImage(name, S.name8(name, "image name"), w, h, xres, yres, encoding)
    return info, _fields(info, image, jpeg, samples)


def _fields(info: IocaImage, image: Image, jpeg: JpegHeader | None, samples) -> Iterator[bytes]:
    tok = info.token
    w, h = info.width_px, info.height_px
    yield S.sf(S.BRS, tok + b"\x00\x00" + S.t_ccsid(500) + S.t_resource_object_type(_OBJTYPE_IMAGE))
    yield S.sf(S.BIM, tok)
    yield S.sf(S.BOG, tok)
    nat_w = min(32767, max(1, round(w * _L_PER_10IN / info.xres)))
    nat_h = min(32767, max(1, round(h * _L_PER_10IN / info.yres)))
    yield S.sf(S.OBD, S.t_descriptor_position(1) + S.t_measurement_units() + S.t_object_area_size(nat_w, nat_h))
    yield S.sf(S.OBP, _obp())
    yield S.sf(S.MIO, S.rg(S.t_mapping_option(MAP_SCALE_TO_FIT)))
    fs = _FS10 if info.encoding == "bilevel" else _FS11
    yield S.sf(S.IDD, b"\x00" + _u2(info.xres) + _u2(info.yres) + _u2(w) + _u2(h) + bytes((0xF7, 2, 1, fs)))
    yield S.sf(S.EOG, tok)

    head = bytearray(b"\x70\x00\x91\x01\xff")
    head += b"\x94\x09\x00" + _u2(info.xres) + _u2(info.yres) + _u2(w) + _u2(h)
    if info.encoding == "jpeg":
        assert jpeg is not None  # the "jpeg" encoding is chosen only with the header read
        head += b"\x95\x02\x83\x01"  # JPEG, RIDIC
        comps = jpeg.components
        head += bytes((0x96, 1, 24 if comps == 3 else 8))
        if comps == 3:
            rgb = jpeg.adobe_transform == 0 or (jpeg.adobe_transform < 0 and not jpeg.jfif and jpeg.ids == b"RGB")
            head += bytes((0x9B, 8, 0x00, _RGB if rgb else _YCBCR, 0, 0, 0, 8, 8, 8))
        else:
            head += bytes((0x9B, 6, 0x00, _YCBCR, 0, 0, 0, 8))
        # External Algorithm Specification: compression algorithm JPEG, the frame's process
        head += bytes((0x9F, 10, 0x10, 0, 0x83, 0, 0, 0, jpeg.sof, 0, 0, 0))
        data = memoryview(image.data)
    elif info.encoding == "bilevel":
        head += b"\x95\x02\x03\x01\x96\x01\x01"  # no compression, RIDIC, 1 bit
        data = memoryview(np.packbits(samples == 0, axis=1).tobytes())  # 1 = black, rows byte-aligned
    elif info.encoding == "grey":
        head += b"\x95\x02\x03\x01\x96\x01\x08"
        head += bytes((0x9B, 6, 0x00, _YCBCR, 0, 0, 0, 8))
        data = memoryview(samples.tobytes())
    else:
        head += b"\x95\x02\x03\x01\x96\x01\x18"
        head += bytes((0x9B, 8, 0x00, _RGB, 0, 0, 0, 8, 8, 8))
        data = memoryview(samples.tobytes())
    yield S.sf(S.IPD, bytes(head))
    n = len(data)
    for k in range(0, n, _CHUNK):
        chunk = data[k : k + _CHUNK]
        yield S.sf(S.IPD, b"\xfe\x92" + _u2(len(chunk)) + bytes(chunk))
    yield S.sf(S.IPD, b"\x93\x00\x71\x00")
    yield S.sf(S.EIM, tok)
    yield S.sf(S.ERS, tok)


def _u2(v: int) -> bytes:
    return int(v).to_bytes(2, "big")


def _obp(x: int = 0, y: int = 0) -> bytes:
    """Object Area Position: OAPosID 1, area at (x, y) of the including coordinate system, 0
    degrees, content at the area's origin, reference: the including page or overlay."""
    return (
        b"\x01\x17"
        + S.lunits_to_bytes(x)
        + S.lunits_to_bytes(y)
        + b"\x00\x00\x2d\x00"
        + b"\x00"
        + b"\x00\x00\x00\x00\x00\x00"
        + b"\x00\x00\x2d\x00"
        + b"\x01"
    )


def include_object(img: IocaImage, x: int, y: int, w: int, h: int) -> bytes:
    """The IOB placing an image's object area at (x, y), w x h (all L-units).

    Raises:
        ValueError: a position outside -32,768..32,767 or a size outside 1..32,767 L-units.
    """
    for v in (x, y):
        if not -32768 <= v <= 32767:
            raise ValueError(f"image {img.name} position {v} is outside -32,768..32,767 L-units (1/1440 inch)")
    data = (
        img.token
        + b"\x00"
        + bytes((_IOB_IMAGE,))
        + S.lunits_to_bytes(x)
        + S.lunits_to_bytes(y)
        + b"\x00\x00\x2d\x00"  # object area orientation: 0 degrees, Y axis at 90
        + b"\x00\x00\x00\x00\x00\x00"  # content offset (ignored when scaling)
        + b"\x01"  # reference coordinate system: the including page or overlay
        + S.t_measurement_units()
        + S.t_object_area_size(w, h)
        + S.t_mapping_option(img.mapping(w, h))
    )
    return S.sf(S.IOB, data)
