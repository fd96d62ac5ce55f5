"""Internal: dark modules of a barcode matrix as few rectangles (compiled). See _rects.pyx."""

import numpy as np
from numpy.typing import NDArray

__all__ = ["runs_to_rects"]

def runs_to_rects(m: NDArray[np.uint8]) -> NDArray[np.int32]: ...  # (rows, cols) C-contiguous -> (n, 4)
