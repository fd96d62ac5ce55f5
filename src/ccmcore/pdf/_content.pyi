"""Internal: PDF content streams from display-list item rows (compiled)."""

import numpy as np

class ContentBuilder:
    def __init__(
        self,
        widths: np.ndarray,  # int32, per job font its /W widths (1/1000 em), concatenated
        font_off: np.ndarray,  # int64, per job font its start in widths/used
        font_len: np.ndarray,  # int32, per job font its glyph count
        used: np.ndarray,  # uint8, used-glyph flags, concatenated like widths; written to
    ) -> None: ...
    def bind(
        self,
        items: np.ndarray,  # int32 (n, 13), C-contiguous
        gids: np.ndarray,  # uint16
        advances: np.ndarray,  # int32, mpt
        font_map: np.ndarray,  # int32, display-list font index -> job font number
        image_map: np.ndarray | None = None,  # int32, display-list image index -> /ImN number
        overlay_map: np.ndarray | None = None,  # int32, display-list overlay index -> /OvN number
        overlay_height: np.ndarray | None = None,  # int32, per display-list overlay its height (mpt)
    ) -> None: ...
    def page(self, i0: int, n: int, height: int, prologue: bool = True) -> bytes: ...
