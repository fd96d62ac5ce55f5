"""Internal: the structure node of every item of a display list (compiled)."""

import numpy as np
from numpy.typing import NDArray

__all__ = ["item_nodes"]

def item_nodes(
    struct: NDArray[np.int32],
    pages: NDArray[np.int64],
    roles: NDArray[np.int64],
    is_table: NDArray[np.uint8],
    listed: NDArray[np.uint8],
) -> tuple[NDArray[np.int32], NDArray[np.int32]]: ...
