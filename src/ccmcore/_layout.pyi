"""Internal: the layout and pagination kernel (compiled). See _layout.pyx."""

from typing import Any

import numpy as np

def scan(off: np.ndarray, data: np.ndarray, slot_of: np.ndarray, pair: np.ndarray,
         unknown: np.ndarray) -> np.ndarray: ...

class Kernel:
    def __init__(self, program: Any, fonts: list[Any]) -> None: ...
    def layout(self, sources: list[tuple[np.ndarray, np.ndarray, np.ndarray | None, int]],
               lists: list[np.ndarray], masks: np.ndarray,
               pool: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
               reject: np.ndarray, record0: int) -> dict[str, Any]: ...
