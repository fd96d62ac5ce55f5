"""Internal: the layout and pagination kernel (compiled). See _layout.pyx."""

from collections.abc import Iterable, Sequence
from typing import TypedDict, type_check_only

import numpy as np
from numpy.typing import NDArray
from typing_extensions import disjoint_base

from .fonts import Font
from .program import Program

__all__ = ["scan", "sum_overflows", "Kernel"]

# one text source: (offsets int32, data uint8, pool entry per string int32 or None, stride 0 or 1)
_Source = tuple[NDArray[np.int32], NDArray[np.uint8], NDArray[np.int32] | None, int]
# HarfBuzz-shaped strings: (gids uint16, advances int32, clusters int32, start int32, len int32)
_Pool5 = tuple[NDArray[np.uint16], NDArray[np.int32], NDArray[np.int32], NDArray[np.int32], NDArray[np.int32]]
# the same and the bidi level of each glyph (uint8); without it every glyph is left-to-right
_Pool6 = tuple[
    NDArray[np.uint16],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.int32],
    NDArray[np.uint8],
]

@type_check_only
class _Layout(TypedDict):
    items: NDArray[np.int32]  # (n, 13) display-list item rows
    gids: NDArray[np.uint16]
    advances: NDArray[np.int32]
    text: bytes
    pages: NDArray[np.int32]  # (n, 8)
    docs: NDArray[np.int64]  # (n, 3)
    warnings: NDArray[np.int32]  # (n, 4): doc, element, code, detail
    messages: NDArray[np.int32]  # (n, 2): doc, message
    struct: NDArray[np.int32]  # (n, 4) per item: element id, part and flags, table row, column

def scan(
    off: NDArray[np.int32],
    data: NDArray[np.uint8],
    slot_of: NDArray[np.uint16],
    pair: NDArray[np.int16],
    unknown: NDArray[np.uint8],  # 65,536 flags; written to
) -> NDArray[np.int32]: ...
def sum_overflows(
    values: NDArray[np.int64],  # the summed field of every list item
    offsets: NDArray[np.int32],  # first item of each document, and the end
) -> NDArray[np.int32]: ...  # documents whose item magnitudes sum beyond int64

@disjoint_base
class Kernel:
    def __init__(self, program: Program, fonts: Sequence[Font]) -> None: ...
    def layout(
        self,
        sources: Iterable[_Source],
        lists: Iterable[NDArray[np.int32]],
        masks: NDArray[np.uint8],  # (n_conditions, n_docs)
        pool: _Pool5 | _Pool6,
        reject: NDArray[np.uint8],
        record0: int,
        sums: Iterable[NDArray[np.int64]] = (),
    ) -> _Layout: ...
