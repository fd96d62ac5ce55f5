# Internal: the display list's C view, shared by the compiled backends (pdf/_content.pyx,
# afp/_ptx.pyx) and the layout kernel (_layout.pyx). The numbers mirror ccmcore.display
# exactly (tests/test_display_check.py compares them); a .pxd alone, nothing to import at
# run time: enums and inline helpers compile into each module that cimports them.

from libc.stdint cimport int64_t
from libc.stdlib cimport realloc

# item kinds (display.GLYPHS ...)
cdef enum:
    K_GLYPHS = 1
    K_RULE = 2
    K_RECT = 3
    K_IMAGE = 4
    K_OVERLAY = 5

# item columns (display.KIND ... display.TN)
cdef enum:
    C_KIND = 0
    C_X = 1
    C_Y = 2
    C_W = 3
    C_H = 4
    C_FONT = 5
    C_SIZE = 6
    C_COLOR = 7
    C_COLOR2 = 8
    C_G0 = 9
    C_GN = 10
    C_T0 = 11
    C_TN = 12
    ITEM_FIELDS = 13

# page columns (display.DOC ... display.IN)
cdef enum:
    PG_DOC = 0
    PG_NUMBER = 1
    PG_COUNT = 2
    PG_TEMPLATE = 3
    PG_WIDTH = 4
    PG_HEIGHT = 5
    PG_I0 = 6
    PG_IN = 7
    PAGE_FIELDS = 8

# an item's structure tag (display.STRUCT_FIELDS, TAG_*): element id, part (table row
# kind + 1, and the flags), row of its table within the document, column
cdef enum:
    STRUCT_FIELDS = 4
    TAG_DECOR = 16
    TAG_REPEAT = 32
    TAG_BULLET = 64
    TAG_FIXED = 128
    TAG_BARCODE = 256

# document columns (display.RECORD, P0, PN)
cdef enum:
    D_RECORD = 0
    D_P0 = 1
    D_PN = 2
    DOC_FIELDS = 3


cdef inline int check_bind(Py_ssize_t ncols, Py_ssize_t ngids, Py_ssize_t nadv) except -1:
    """What the backends' ``bind`` checks of a display list's arrays themselves.

    Raises:
        ValueError: items does not have 13 columns or gids/advances differ in length.
    """
    if ncols != ITEM_FIELDS:
        raise ValueError("items must have 13 columns")
    if ngids != nadv:
        raise ValueError("gids and advances must have the same length")
    return 0


cdef inline int64_t rdiv(int64_t num, int64_t den) noexcept nogil:
    """num / den rounded half away from zero (den > 0)."""
    if num >= 0:
        return (num + den // 2) // den
    return -((-num + den // 2) // den)


cdef inline int64_t clamp(int64_t v, int64_t lo, int64_t hi) noexcept nogil:
    return lo if v < lo else (hi if v > hi else v)


cdef inline void* grow(void* p, Py_ssize_t* cap, Py_ssize_t need, Py_ssize_t first,
                       size_t item) noexcept nogil:
    """``p`` reallocated to hold at least ``need`` items of ``item`` bytes, its capacity
    doubling from ``first``; ``cap[0]`` becomes the new capacity. NULL when memory runs
    out (``p`` and ``cap[0]`` are then unchanged). The caller checks ``need > cap[0]``."""
    cdef Py_ssize_t n = cap[0] * 2 if cap[0] else first
    cdef void* q
    while n < need:
        n *= 2
    q = realloc(p, <size_t>n * item)
    if q != NULL:
        cap[0] = n
    return q
