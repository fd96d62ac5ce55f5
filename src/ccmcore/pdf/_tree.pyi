"""Internal: a tagged PDF's structure elements for a run of documents (compiled)."""

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["tree_objects", "in_page_order"]

def in_page_order(mcids: NDArray[np.int32]) -> bool: ...
def tree_objects(
    nodes: NDArray[np.int32],
    mcids: NDArray[np.int32],
    doc_pages: NDArray[np.int64],
    page_nums: NDArray[np.int64],
    is_table: NDArray[np.uint8],
    columns: NDArray[np.int64],
    alts: list[bytes],
    langs: list[bytes],
    first_num: int,
    document: int,
    sink: Callable[[int, memoryview, int, int], None],
    per_stream: int,
) -> tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]: ...
