"""Data Matrix ECC 200 (ISO/IEC 16022) as dark rectangles: the inserter-control code.

Inserters and sorters read a small Data Matrix per sheet (document id, sheet n of m,
feeder selections...). A fixed ``size`` keeps the symbol in the same spot and size on
every sheet, which camera systems want. The module matrix comes from zint (bundled in
the ``zxing-cpp`` wheel); the geometry is ours.
"""

from __future__ import annotations

from functools import lru_cache

from ..units import to_mpt
from .geometry import Symbol, grid_symbol, zint_matrix

__all__ = ["encode_datamatrix", "DATAMATRIX_SIZES", "DATAMATRIX_QUIET_ZONE"]

#: Minimum quiet zone on each side, in modules (ISO/IEC 16022).
DATAMATRIX_QUIET_ZONE = 1

_NAME = "Data Matrix"

#: The ECC 200 symbol sizes (rows, cols), in zint's version order (1-based): 24 square
#: sizes, then the 6 rectangular ones of ISO/IEC 16022, then the DMRE sizes (ISO/IEC 21471).
DATAMATRIX_SIZES: tuple[tuple[int, int], ...] = (
    (10, 10),
    (12, 12),
    (14, 14),
    (16, 16),
    (18, 18),
    (20, 20),
    (22, 22),
    (24, 24),
    (26, 26),
    (32, 32),
    (36, 36),
    (40, 40),
    (44, 44),
    (48, 48),
    (52, 52),
    (64, 64),
    (72, 72),
    (80, 80),
    (88, 88),
    (96, 96),
    (104, 104),
    (120, 120),
    (132, 132),
    (144, 144),
    (8, 18),
    (8, 32),
    (12, 26),
    (12, 36),
    (16, 36),
    (16, 48),
    (8, 48),
    (8, 64),
    (8, 80),
    (8, 96),
    (8, 120),
    (8, 144),
    (12, 64),
    (12, 88),
    (16, 64),
    (20, 36),
    (20, 44),
    (20, 64),
    (22, 48),
    (24, 48),
    (24, 64),
    (26, 40),
    (26, 48),
    (26, 64),
)
_VERSION: dict[tuple[int, ...], int] = {size: i + 1 for i, size in enumerate(DATAMATRIX_SIZES)}


@lru_cache(maxsize=1024)
def encode_datamatrix(
    data: str | bytes,
    *,
    module: float | str = 1.44,
    shape: str = "square",
    size: tuple[int, int] | None = None,
    gs1: bool = False,
    quiet_zone: bool | int = True,
) -> Symbol:
    """Encode a Data Matrix (ECC 200) as dark rectangles.

    Args:
        data: text or bytes. With ``gs1``, GS1 element strings in bracket form:
            ``"[01]09501101530003[17]250101"``.
        module: module size, a length (points, or a string such as "0.5mm"); 1.44 pt = 0.508 mm.
        shape: "square" (the smallest square that fits) or "any" (the smallest of the
            square and the rectangular sizes).
        size: force one symbol size, (rows, cols), e.g. (16, 16) or (8, 32); see
            :data:`DATAMATRIX_SIZES`. Overrides ``shape``.
        gs1: GS1 Data Matrix (FNC1 first, the AIs' separators as the standard wants).
        quiet_zone: True for the standard 1 module on each side, False for none, or a
            number of modules.

    Returns:
        a :class:`Symbol` with ``modules`` set; cached (read-only).

    Raises:
        BarcodeError: (a ValueError) for empty data, data too long for the size or for
            Data Matrix at all, bad GS1 data, or text with unpaired surrogates.
        ValueError: for a bad ``shape``, ``size`` or ``module``.
    """
    module = to_mpt(module)
    if module <= 0:
        raise ValueError(f"{_NAME}: module must be positive (got {module})")
    opts: dict = {}
    if size is not None:
        wanted = tuple(size)
        if wanted not in _VERSION:
            raise ValueError(f"{_NAME}: no symbol size {wanted!r}; sizes are {DATAMATRIX_SIZES}")
        opts["version"] = _VERSION[wanted]
    elif shape == "square":
        opts["forceSquare"] = True
    elif shape != "any":
        raise ValueError(f"{_NAME}: shape must be 'square' or 'any' (got {shape!r})")
    if gs1:
        opts["gs1"] = True
    m = zint_matrix(_NAME, "DataMatrix", data, **opts)
    q = DATAMATRIX_QUIET_ZONE if quiet_zone is True else int(quiet_zone)
    text = data if isinstance(data, str) else data.decode("latin-1")
    return grid_symbol(m, module, q, text)
