# Shared C layout of the kernel's inputs: the compiled program rows are int32 arrays whose
# columns these enums name. ccmcore.program (Python) writes the same numbers.

cdef enum:
    K_PARA = 1
    K_SPACER = 2
    K_TABLE = 3
    K_WHEN = 4
    K_TEXT = 5
    K_RECT = 6
    K_RULE = 7
    K_PAGETEXT = 8
    K_IMAGE = 9
    K_OVERLAY = 10

cdef enum:
    E_KIND = 0
    E_ID = 1
    E_SRC = 2
    E_STYLE = 3
    E_X = 4
    E_Y = 5
    E_W = 6
    E_H = 7
    E_A = 8
    E_B = 9
    E_C = 10
    E_FIELDS = 11

cdef enum:
    S_FONT = 0
    S_SIZE = 1
    S_LEADING = 2
    S_COLOR = 3
    S_ALIGN = 4
    S_BEFORE = 5
    S_AFTER = 6
    S_BASELINE = 7
    S_FIELDS = 8

cdef enum:
    T_LIST = 0
    T_NCOLS = 1
    T_COL0 = 2
    T_HSTYLE = 3
    T_BSTYLE = 4
    T_TSTYLE = 5
    T_HRULE = 6
    T_TRULE = 7
    T_RCOLOR = 8
    T_PADY = 9
    T_PADX = 10
    T_TOTAL = 11
    T_REPEAT = 12
    T_STRIPE = 13
    T_BORDER = 14
    T_BCOLOR = 15
    T_GSRC = 16
    T_GHSRC = 17
    T_GSTYLE = 18
    T_CARRY = 19
    T_CCOL = 20
    T_CLABEL = 21
    T_BLABEL = 22
    T_CDEC = 23
    T_CGROUP = 24
    T_CPOINT = 25
    T_KEEP = 26
    T_ORPHANS = 27
    T_WIDOWS = 28
    T_GFLABEL = 29
    T_PSLABEL = 30
    T_GCSRC = 31
    T_CGROUPED = 32
    T_FIELDS = 33

cdef enum:
    C_W = 0
    C_ALIGN = 1
    C_HSRC = 2
    C_SRC = 3
    C_TSRC = 4
    C_FIELDS = 5

cdef enum:
    P_W = 0
    P_H = 1
    P_BX = 2
    P_BY = 3
    P_BW = 4
    P_BH = 5
    P_F0 = 6
    P_FN = 7
    P_FIELDS = 8

cdef enum:
    A_LEFT = 0
    A_RIGHT = 1
    A_CENTER = 2
    A_JUSTIFY = 3

cdef enum:
    PART_TEXT = 0
    PART_PAGE = 1
    PART_PAGES = 2

cdef enum:
    W_OVERLONG_WORD = 1
    W_ROW_SPLIT = 2
    W_TEXT_SHRUNK = 3    # detail: the size it was set in (mpt)
    W_TEXT_CUT = 4       # detail: the lines it needed
    R_TEXT_OVERFLOW = 100  # rejects the document; detail: the lines it needed

cdef enum:
    OVERFLOW_REJECT = 0
    OVERFLOW_CUT = 1
    OVERFLOW_SHRINK = 2
