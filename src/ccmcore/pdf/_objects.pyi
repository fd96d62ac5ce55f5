"""Internal: the page and content stream objects of a run of documents (compiled)."""

import numpy as np
from numpy.typing import NDArray

__all__ = ["page_objects"]

def page_objects(
    records: NDArray[np.int64],
    doc_pages: NDArray[np.int64],
    box_of_page: NDArray[np.int64],
    boxes: list[bytes],
    content: object,  # a buffer of bytes
    stream_start: NDArray[np.int64],
    stream_len: NDArray[np.int64],
    stamps: list[bytes | None] | None,
    first_num: int,
    page_objs: int,
    leaf: int,
    resources: int,
    pos: int,
    compressed: bool,
    fanout: int,
    tagged: bool = False,
) -> tuple[
    bytearray,
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    int,
]: ...
