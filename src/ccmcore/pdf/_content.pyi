"""Internal: PDF content streams from display-list item rows (compiled)."""

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

__all__ = ["ContentBuilder", "ROLE_NAMES"]

ROLE_NAMES: tuple[str, ...]

@disjoint_base
class ContentBuilder:
    def __init__(
        self,
        widths: NDArray[np.int32],  # per job font its /W widths (1/1000 em), concatenated
        font_off: NDArray[np.int64],  # per job font its start in widths/used
        font_len: NDArray[np.int32],  # per job font its glyph count
        used: NDArray[np.uint8],  # used-glyph flags, concatenated like widths; written to
    ) -> None: ...
    def bind(
        self,
        items: NDArray[np.int32],  # (n, 13), C-contiguous
        gids: NDArray[np.uint16],
        advances: NDArray[np.int32],  # mpt
        font_map: NDArray[np.int32],  # display-list font index -> job font number
        image_map: NDArray[np.int32] | None = None,  # display-list image index -> /ImN number
        overlay_map: NDArray[np.int32] | None = None,  # display-list overlay index -> /OvN number
        overlay_height: NDArray[np.int32] | None = None,  # per display-list overlay its height (mpt)
        nodes: NDArray[np.int32] | None = None,  # per item its structure node, -2 artifact, -1 untagged
        node_roles: NDArray[np.int32] | None = None,  # per node its ROLE_NAMES number
    ) -> None: ...
    def take_marked(self) -> NDArray[np.int32]: ...
    def page(self, i0: int, n: int, height: int, prologue: bool = True) -> bytes: ...
    def pages(self, starts: NDArray[np.int64], heights: NDArray[np.int64], prologue: bool = True) -> list[bytes]: ...
