"""Internal: PTOCA presentation text (PTX structured fields) from display-list rows (compiled)."""

from typing import final

import numpy as np
from numpy.typing import NDArray

__all__ = ["PtxBuilder"]

@final
class PtxBuilder:
    err_kind: int  # 1 unencodable character, 2 more than 127 font/size pairs, 3 size out of range
    err_item: int  # item row of the error
    err_cp: int  # the code point that could not be encoded
    skipped: int  # diagonal lines skipped so far
    def __init__(
        self,
        adv: NDArray[np.int32],  # per job font the glyph advances (font units), concatenated
        font_off: NDArray[np.int64],  # per job font its start in adv/used
        font_len: NDArray[np.int32],  # per job font its glyph count
        upem: NDArray[np.int32],  # per job font
        kind: NDArray[np.int8],  # 0 TrueType/OpenType, 1 FOCA coded font
        codetab: NDArray[np.uint16],  # 65536 per font: cmap glyph / code page byte (0xFFFF none)
        widths: NDArray[np.int32],  # 256 per font: coded font widths in 1/1000 em (-1: layout font's)
        used: NDArray[np.uint8],  # used-glyph flags, concatenated like adv; written to
    ) -> None: ...
    def bind(
        self,
        items: NDArray[np.int32],  # (n, 13), C-contiguous
        gids: NDArray[np.uint16],
        advances: NDArray[np.int32],  # mpt
        text: NDArray[np.uint8],  # the display list's UTF-8 text
        font_map: NDArray[np.int32],  # display-list font index -> job font number
    ) -> None: ...
    def page(
        self, i0: int, n: int, keep_lids: bool = False
    ) -> tuple[bytes, bytes, NDArray[np.int64] | None] | None: ...  # (ptx, lids, (m, 2) oids or None)
