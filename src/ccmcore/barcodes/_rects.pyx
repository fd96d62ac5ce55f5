# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: dark modules of a barcode matrix as few rectangles, in one C pass.

The same cover as ccmcore.barcodes.geometry.matrix_rects's numpy version (which it
replaces on the hot path: a symbol per page made numpy's per-call overhead dominate):
each row's dark cells become horizontal runs, and a run with the same start and end as an
open rectangle in the row above extends it. Rectangles come out ordered by top row, then x.
"""

from libc.stdint cimport int32_t, uint8_t
from libcpp.vector cimport vector

import numpy as np

__all__ = ["runs_to_rects"]


def runs_to_rects(const uint8_t[:, ::1] m):
    """(n, 4) int32 rectangles (x, y, w, h) in module units covering the dark cells of m."""
    cdef Py_ssize_t rows = m.shape[0], cols = m.shape[1], r, c, j, k
    cdef vector[int32_t] rect          # x, y, w, h per rectangle
    cdef vector[int32_t] open_prev     # rectangle index of each open run of the row above
    cdef vector[int32_t] open_cur
    cdef int32_t x0, idx
    with nogil:
        for r in range(rows):
            open_cur.clear()
            j = 0  # walks the row above's open runs (in x order)
            c = 0
            while c < cols:
                if not m[r, c]:
                    c += 1
                    continue
                x0 = <int32_t>c
                while c < cols and m[r, c]:
                    c += 1
                # the open run above with the same start, if any, and the same end
                while j < <Py_ssize_t>open_prev.size() and rect[4 * open_prev[j]] < x0:
                    j += 1
                idx = -1
                if j < <Py_ssize_t>open_prev.size():
                    k = 4 * open_prev[j]
                    if rect[k] == x0 and rect[k + 2] == <int32_t>c - x0:
                        idx = open_prev[j]
                        rect[k + 3] += 1
                if idx < 0:
                    idx = <int32_t>(rect.size() // 4)
                    rect.push_back(x0)
                    rect.push_back(<int32_t>r)
                    rect.push_back(<int32_t>c - x0)
                    rect.push_back(1)
                open_cur.push_back(idx)
            open_prev.swap(open_cur)
    out = np.empty((rect.size() // 4, 4), dtype=np.int32)
    cdef int32_t[:, ::1] o = out
    for k in range(<Py_ssize_t>(rect.size() // 4)):
        o[k, 0] = rect[4 * k]
        o[k, 1] = rect[4 * k + 1]
        o[k, 2] = rect[4 * k + 2]
        o[k, 3] = rect[4 * k + 3]
    return out
