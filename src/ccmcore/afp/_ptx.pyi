"""Internal: PTOCA presentation text (PTX structured fields) from display-list rows (compiled)."""

import numpy as np

class PtxBuilder:
    err_kind: int  # 1 unencodable character, 2 more than 127 font/size pairs, 3 size out of range
    err_item: int  # item row of the error
    err_cp: int  # the code point that could not be encoded
    skipped: int  # diagonal lines skipped so far
    def __init__(
        self,
        adv: np.ndarray,  # int32, per job font the glyph advances (font units), concatenated
        font_off: np.ndarray,  # int64, per job font its start in adv/used
        font_len: np.ndarray,  # int32, per job font its glyph count
        upem: np.ndarray,  # int32, per job font
        kind: np.ndarray,  # int8, 0 TrueType/OpenType, 1 FOCA coded font
        codetab: np.ndarray,  # uint16, 65536 per font: cmap glyph / code page byte (0xFFFF none)
        widths: np.ndarray,  # int32, 256 per font: coded font widths in 1/1000 em (-1: layout font's)
        used: np.ndarray,  # uint8, used-glyph flags, concatenated like adv; written to
    ) -> None: ...
    def bind(
        self,
        items: np.ndarray,  # int32 (n, 13), C-contiguous
        gids: np.ndarray,  # uint16
        advances: np.ndarray,  # int32, mpt
        text: np.ndarray,  # uint8, the display list's UTF-8 text
        font_map: np.ndarray,  # int32, display-list font index -> job font number
    ) -> None: ...
    def page(
        self, i0: int, n: int, keep_lids: bool = False
    ) -> tuple[bytes, bytes, np.ndarray | None] | None: ...
