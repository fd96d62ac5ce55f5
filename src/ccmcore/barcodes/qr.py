"""QR Code (ISO/IEC 18004) as dark rectangles.

The module matrix comes from zint (bundled in the ``zxing-cpp`` wheel, a C encoder:
0.1-0.3 ms a symbol, where pure-Python encoders spend 2-4 ms choosing the mask);
the geometry is ours: each row's dark runs, merged down the rows where they line up.
"""

from __future__ import annotations

from functools import lru_cache

from ..units import to_mpt
from .geometry import Symbol, grid_symbol, zint_matrix

__all__ = ["encode_qr", "QR_QUIET_ZONE"]

#: Minimum quiet zone on each side, in modules (ISO/IEC 18004).
QR_QUIET_ZONE = 4

_NAME = "QR Code"
_ECC = ("L", "M", "Q", "H")


@lru_cache(maxsize=1024)
def encode_qr(
    data: str | bytes,
    *,
    module: float | str = 1.44,
    ecc: str = "M",
    version: int | None = None,
    quiet_zone: bool | int = True,
) -> Symbol:
    """Encode a QR Code as dark rectangles.

    Args:
        data: text (any Unicode; zint picks the modes and, past ISO 8859-1 and Shift JIS,
            a UTF-8 ECI) or bytes (byte mode, as given).
        module: module size, a length (points, or a string such as "0.5mm"); 1.44 pt = 0.508 mm.
        ecc: error correction level, "L" (7 %), "M" (15 %), "Q" (25 %) or "H" (30 %).
        version: force a symbol version 1-40 (None: the smallest that fits).
        quiet_zone: True for the standard 4 modules on each side, False for none, or a
            number of modules.

    Returns:
        a :class:`Symbol` with ``modules`` set; cached (read-only).

    Raises:
        BarcodeError: (a ValueError) for empty data, data too long for the version or
            for QR Code at all, or text with unpaired surrogates.
        ValueError: for a bad ``ecc``, ``version`` or ``module``.
    """
    ecc = ecc.upper()
    if ecc not in _ECC:
        raise ValueError(f"{_NAME}: ecc must be one of L, M, Q, H (got {ecc!r})")
    module = to_mpt(module)
    if module <= 0:
        raise ValueError(f"{_NAME}: module must be positive (got {module})")
    opts: dict = {"ecLevel": ecc}
    if version is not None:
        if not 1 <= version <= 40:
            raise ValueError(f"{_NAME}: version must be 1-40 (got {version})")
        opts["version"] = int(version)
    m = zint_matrix(_NAME, "QRCode", data, **opts)
    q = QR_QUIET_ZONE if quiet_zone is True else int(quiet_zone)
    text = data if isinstance(data, str) else data.decode("latin-1")
    return grid_symbol(m, module, q, text)
