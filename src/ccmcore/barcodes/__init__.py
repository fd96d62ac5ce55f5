"""Barcodes as vector geometry: Code 128, QR Code, Data Matrix, USPS Intelligent Mail, OMR.

Encoders take lengths as everywhere in ccmcore (a number in points, or a string with its
unit) and return a :class:`Symbol`: its size and its dark rectangles in integer
millipoints (adjacent dark modules merged, rectangles never overlapping), which layout
places on the page as display-list RECT items (:meth:`Symbol.items`) and every backend
draws as vector fills, never as a raster image::

    from ccmcore.barcodes import encode_code128, encode_datamatrix, omr_marks, OmrSpec

    sym = encode_code128("INV-2024-000123", module="0.254mm", height="12.7mm")
    items = sym.items(x=to_mpt("20mm"), y=to_mpt("270mm"))  # RECT rows for the display list
    dm = encode_datamatrix("D0001234S01/03", size=(16, 16))
    omr = omr_marks(page=3, pages=3, sheet=17, spec=OmrSpec())

Data a symbology cannot encode raises :class:`BarcodeError` (a ``ValueError`` and a
:class:`ccmcore.DataError`) naming the symbology and the offending character. Results
are cached per arguments and read-only.
"""

from .code128 import CODE128_QUIET_ZONE, code128_values, encode_code128
from .datamatrix import DATAMATRIX_QUIET_ZONE, DATAMATRIX_SIZES, encode_datamatrix
from .geometry import BarcodeError, Symbol, matrix_rects, rasterize
from .imb import encode_imb, imb_bars
from .omr import OmrSpec, omr_bits, omr_marks
from .qr import QR_QUIET_ZONE, encode_qr

__all__ = [
    "BarcodeError",
    "CODE128_QUIET_ZONE",
    "DATAMATRIX_QUIET_ZONE",
    "DATAMATRIX_SIZES",
    "OmrSpec",
    "QR_QUIET_ZONE",
    "Symbol",
    "code128_values",
    "encode_code128",
    "encode_datamatrix",
    "encode_imb",
    "encode_qr",
    "imb_bars",
    "matrix_rects",
    "omr_bits",
    "omr_marks",
    "rasterize",
]
