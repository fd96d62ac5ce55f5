# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: PDF content streams from display-list item rows, in compiled loops.

Every number written is an integer: a page starts with ``0.001 0 0 0.001 0 0 cm`` so user
space is in millipoints, the display list's own unit. Glyphs are shown as 2-byte
Identity-H codes (the glyph id); where the display list's advance differs from the
width the PDF font declares (its /W entry), a TJ adjustment moves the next glyph to
where layout put it. Adjustments are computed from cumulative positions, so their
rounding never drifts along a run.

IMAGE items become ``q W 0 0 H X Y cm /ImN Do Q`` and OVERLAY items
``q 1 0 0 1 X Y cm /OvN Do Q`` (N the job's XObject number, Y the lower edge in PDF's
y-up space). Overlays are Form XObjects whose content is built by the same loop without
the prologue: a form is drawn in the page's millipoint space, so its own space is
millipoints too (identity /Matrix, /BBox in millipoints).

Tagged PDF (PDF/UA): with ``nodes`` bound, every drawn item belongs to a structure node
(or is an artifact), and each run of drawn items of one node becomes a marked-content
sequence ``/P <</MCID n>> BDC ... EMC`` (artifacts: ``/Artifact BMC ... EMC``), numbered
0, 1, ... per page in the order drawn; :meth:`ContentBuilder.take_marked` says which node each
MCID of the pages made belongs to. Marked content and text objects (BT/ET) must nest: a
glyph run's sequence opens inside the text object, so the runs of a table row share one;
any other item's sequence opens outside it.
"""

from libc.stdlib cimport free
from libcpp.vector cimport vector
from libc.string cimport memcpy, strlen
from libc.stdint cimport int32_t, int64_t, uint16_t, uint8_t
from cpython.bytes cimport PyBytes_FromStringAndSize

# item kinds and columns (K_*, C_*, ITEM_FIELDS), check_bind, rdiv, grow
from ccmcore._display cimport *
# n_digits, put_int, put_str
from ccmcore.pdf._digits cimport *

__all__ = ["ContentBuilder", "ROLE_NAMES"]

#: the structure types a node's marked content is tagged with, by role number
ROLE_NAMES = ("P", "H1", "H2", "H3", "H4", "H5", "H6", "TD", "TH", "Figure", "Lbl", "LBody")
cdef const char* ROLE_C[12]
ROLE_C[:] = [b"/P<</MCID ", b"/H1<</MCID ", b"/H2<</MCID ", b"/H3<</MCID ", b"/H4<</MCID ",
             b"/H5<</MCID ", b"/H6<</MCID ", b"/TD<</MCID ", b"/TH<</MCID ", b"/Figure<</MCID ",
             b"/Lbl<</MCID ", b"/LBody<</MCID "]

cdef char HEX2[512]
cdef const char* PROLOGUE = b"0.001 0 0 0.001 0 0 cm\n"
cdef enum:
    PROLOGUE_LEN = 23

# colour component k/255 with three decimals: distinct for all 256 values and exact on
# the way back to 8 bits (error <= 0.0005 * 255 < 0.5)
cdef char COMP[256][6]
cdef uint8_t COMP_LEN[256]


cdef void _init_tables():
    cdef int k, n
    cdef bytes s
    cdef const char* hexdig = b"0123456789ABCDEF"
    for k in range(256):
        HEX2[2 * k] = hexdig[k >> 4]
        HEX2[2 * k + 1] = hexdig[k & 15]
    for k in range(256):
        s = (f"{k / 255.0:.3f}".rstrip("0").rstrip(".") or "0").encode()  # 255.0: C ints divide whole
        n = len(s)
        memcpy(COMP[k], <const char*>s, n)
        COMP_LEN[k] = n


_init_tables()

import numpy as _np

_EMPTY = _np.zeros(0, dtype=_np.int32)


cdef inline char* put_pair(char* p, int64_t a, int64_t b) noexcept nogil:
    """'a b' (two integers and the space between)."""
    p = put_int(p, a)
    p[0] = b' '
    return put_int(p + 1, b)


cdef inline char* put_rgb(char* p, int32_t c, const char* op) noexcept nogil:
    """'r g b op\\n' for a 0xRRGGBB colour (op is 'rg' or 'RG')."""
    p = put_str(p, COMP[(c >> 16) & 0xFF], COMP_LEN[(c >> 16) & 0xFF])
    p[0] = b' '
    p = put_str(p + 1, COMP[(c >> 8) & 0xFF], COMP_LEN[(c >> 8) & 0xFF])
    p[0] = b' '
    p = put_str(p + 1, COMP[c & 0xFF], COMP_LEN[c & 0xFF])
    p[0] = b' '
    p += 1
    p[0] = op[0]
    p[1] = op[1]
    p[2] = b'\n'
    return p + 3


cdef inline char* put_xobject(char* p, const char* name, int32_t num) noexcept nogil:
    """' /<name>N Do Q\n' after a cm matrix."""
    p = put_str(p, b" cm /", 5)
    p[0] = name[0]
    p[1] = name[1]
    p = put_int(p + 2, num)
    return put_str(p, b" Do Q\n", 6)


cdef class ContentBuilder:
    """Builds page content streams for the pages of one job, batch by batch.

    Font tables are the job's: one concatenated array of PDF widths (1/1000 em, exactly
    the numbers written in each font's /W array) and one concatenated bitmap of used
    glyph ids, both addressed by the job font's offset. Per batch, :meth:`bind` gives the
    display list's arrays and the maps from its font, image and overlay indices to the
    job's font and XObject numbers.

    Args:
        widths: int32, per job font its glyph widths in 1/1000 em, concatenated.
        font_off: int64, per job font its start in ``widths``/``used``.
        font_len: int32, per job font its glyph count.
        used: uint8, per job font a 0/1 flag per glyph, concatenated; written to.
    """

    cdef const int32_t[::1] widths
    cdef const int64_t[::1] font_off
    cdef const int32_t[::1] font_len
    cdef uint8_t[::1] used
    cdef const int32_t[:, ::1] items
    cdef const uint16_t[::1] gids
    cdef const int32_t[::1] adv
    cdef const int32_t[::1] font_map
    cdef const int32_t[::1] image_map
    cdef const int32_t[::1] overlay_map
    cdef const int32_t[::1] overlay_height
    cdef const int32_t[::1] nodes       # per item: structure node, -2 artifact, -1 untagged
    cdef const int32_t[::1] node_roles  # per node: its ROLE_NAMES number
    cdef bint tagged
    cdef vector[int32_t] mcid_nodes     # the page's MCIDs: the node of each
    cdef vector[int32_t] mark_nodes     # those of the pages made since take_marked()
    cdef vector[int64_t] mark_counts    # and how many each of them has
    cdef int32_t cur_mark               # the node of the sequence open (-2 artifact, -1 none)
    cdef bint mark_inside               # it opened inside the text object that is open
    cdef bint bound
    cdef char* buf
    cdef Py_ssize_t cap

    def __cinit__(self):
        self.buf = NULL
        self.cap = 0
        self.bound = False

    def __init__(self, const int32_t[::1] widths, const int64_t[::1] font_off,
                 const int32_t[::1] font_len, uint8_t[::1] used):
        self.widths = widths
        self.font_off = font_off
        self.font_len = font_len
        self.used = used

    def __dealloc__(self):
        free(self.buf)

    def bind(self, const int32_t[:, ::1] items, const uint16_t[::1] gids,
             const int32_t[::1] advances, const int32_t[::1] font_map,
             image_map=None, overlay_map=None, overlay_height=None, nodes=None, node_roles=None):
        """Use one display list's arrays for the following :meth:`page` calls.

        The caller has checked them: every item row has 13 columns, GLYPHS slices lie
        inside ``gids``/``advances``, and ``font_map[FONT]`` is a job font number.
        IMAGE and OVERLAY items whose FONT has no entry >= 0 in their map are skipped.

        Args:
            image_map: int32, display-list image index -> job image number (/ImN).
            overlay_map: int32, display-list overlay index -> job overlay number (/OvN).
            overlay_height: int32, per display-list overlay its height (mpt).
            nodes: int32, per item its structure node (>= 0), -2 for an artifact, -1 for
                content outside any marked sequence; None: an untagged PDF.
            node_roles: int32, per node its :data:`ROLE_NAMES` number.

        Raises:
            ValueError: items does not have 13 columns, gids/advances differ in length,
                or overlay_map and overlay_height differ in length.
        """
        cdef const int32_t[::1] empty = _EMPTY
        check_bind(items.shape[1], gids.shape[0], advances.shape[0])
        self.image_map = empty if image_map is None else image_map
        self.overlay_map = empty if overlay_map is None else overlay_map
        self.overlay_height = empty if overlay_height is None else overlay_height
        if self.overlay_map.shape[0] != self.overlay_height.shape[0]:
            raise ValueError("overlay_map and overlay_height must have the same length")
        self.tagged = nodes is not None
        self.nodes = empty if nodes is None else nodes
        self.node_roles = empty if node_roles is None else node_roles
        if self.tagged and self.nodes.shape[0] != items.shape[0]:
            raise ValueError("nodes: one per item")
        cdef Py_ssize_t k
        for k in range(self.nodes.shape[0]):
            if self.nodes[k] >= self.node_roles.shape[0]:
                raise ValueError("nodes: a node without a role")
        for k in range(self.node_roles.shape[0]):
            if self.node_roles[k] < 0 or self.node_roles[k] >= 12:
                raise ValueError("node_roles: a role outside ROLE_NAMES")
        self.items = items
        self.gids = gids
        self.adv = advances
        self.font_map = font_map
        self.bound = True

    def take_marked(self):
        """The marked-content sequences of the pages made since the last call: int32
        (m, 3) rows of page (0: the first of those pages), MCID and node, in page and
        MCID order."""
        rows = _np.empty((self.mark_nodes.size(), 3), dtype=_np.int32)
        cdef int32_t[:, ::1] view = rows
        cdef Py_ssize_t page, k, r = 0
        for page in range(<Py_ssize_t>self.mark_counts.size()):
            for k in range(self.mark_counts[page]):
                view[r, 0] = <int32_t>page
                view[r, 1] = <int32_t>k
                view[r, 2] = self.mark_nodes[r]
                r += 1
        self.mark_counts.clear()
        self.mark_nodes.clear()
        return rows

    cdef int reserve(self, Py_ssize_t need) except -1 nogil:
        cdef void* p
        if need <= self.cap:
            return 0
        p = grow(self.buf, &self.cap, need, 65536, 1)
        if p == NULL:
            with gil:
                raise MemoryError("content stream buffer")
        self.buf = <char*>p
        return 0

    cdef inline char* room(self, char* p, Py_ssize_t extra) except NULL nogil:
        """Room for ``extra`` more bytes after ``p`` (the buffer may move): the new ``p``."""
        cdef Py_ssize_t pos = p - self.buf
        self.reserve(pos + extra)
        return self.buf + pos

    cdef inline char* open_mark(self, char* p, int32_t m) noexcept nogil:
        """The start of node ``m``'s marked-content sequence (-2: an artifact's)."""
        if m == -2:
            return put_str(p, b"/Artifact BMC\n", 14)
        if m >= 0:
            p = put_str(p, ROLE_C[self.node_roles[m]], strlen(ROLE_C[self.node_roles[m]]))
            p = put_int(p, <int64_t>self.mcid_nodes.size())
            self.mcid_nodes.push_back(m)
            return put_str(p, b">>BDC\n", 6)
        return p

    cdef inline char* mark(self, char* p, Py_ssize_t i, bint* in_text, bint glyphs) except NULL nogil:
        """Open item i's marked-content sequence if it is not the one open.

        Sequences and text objects must nest. A glyph run's sequence opens inside the text
        object (BT first), so the next run's can follow without ending it; another item's
        opens outside (ET first). A sequence that holds a text object ends after it."""
        cdef int32_t m = self.nodes[i]
        if m == self.cur_mark:
            return p
        p = self.room(p, 64)
        if self.cur_mark != -1:
            if in_text[0] and not self.mark_inside:
                in_text[0] = False
                p = put_str(p, b"ET\n", 3)
            p = put_str(p, b"EMC\n", 4)
        if in_text[0] and not glyphs:
            in_text[0] = False
            p = put_str(p, b"ET\n", 3)
        elif glyphs and not in_text[0]:
            in_text[0] = True
            p = put_str(p, b"BT\n", 3)
        self.cur_mark = m
        self.mark_inside = in_text[0]
        return self.open_mark(p, m)

    cdef inline char* graphics(self, char* p, Py_ssize_t extra, bint* in_text) except NULL nogil:
        """Like :meth:`room`, and out of the text object (ET) if one is open: a sequence
        opened inside it ends with it, and opens again outside."""
        p = self.room(p, extra + 64)
        if in_text[0]:
            in_text[0] = False
            if self.mark_inside and self.cur_mark != -1:
                p = put_str(p, b"EMC\nET\n", 7)
                self.mark_inside = False
                return self.open_mark(p, self.cur_mark)
            return put_str(p, b"ET\n", 3)
        return p

    def page(self, Py_ssize_t i0, Py_ssize_t n, int32_t height, bint prologue=True):
        """The content stream of one page: the item rows ``i0 .. i0+n`` of the bound batch.

        Args:
            i0: first item row of the page.
            n: number of item rows.
            height: page height (mpt); PDF y = height - display-list y.
            prologue: start with the ``cm`` into millipoints (False for a Form XObject,
                which is drawn in a page's millipoint space already).

        Returns:
            bytes, uncompressed.

        Raises:
            RuntimeError: no batch is bound.
            IndexError: the rows lie outside the bound items.
            MemoryError: the buffer cannot grow.
        """
        if not self.bound:
            raise RuntimeError("bind() a display list first")
        if i0 < 0 or n < 0 or i0 + n > self.items.shape[0]:
            raise IndexError("item rows out of range")
        cdef Py_ssize_t length
        with nogil:
            length = self._page(i0, n, height, prologue)
        return PyBytes_FromStringAndSize(self.buf, length)

    def pages(self, const int64_t[:] starts, const int64_t[:] heights, bint prologue=True):
        """The content streams of consecutive runs of the bound items: run k is the rows
        ``starts[k] .. starts[k+1]``, on a page ``heights[k]`` high (see :meth:`page`).

        Returns:
            list of bytes, uncompressed, one per run.
        """
        if not self.bound:
            raise RuntimeError("bind() a display list first")
        cdef Py_ssize_t k, n = heights.shape[0], length
        if starts.shape[0] != n + 1:
            raise ValueError("starts: one more entry than heights")
        for k in range(n):
            if starts[k] < 0 or starts[k + 1] < starts[k] or starts[k + 1] > self.items.shape[0]:
                raise IndexError("item rows out of range")
        out = []
        for k in range(n):
            with nogil:
                length = self._page(starts[k], starts[k + 1] - starts[k], heights[k], prologue)
            out.append(PyBytes_FromStringAndSize(self.buf, length))
        return out

    cdef Py_ssize_t _page(self, Py_ssize_t i0, Py_ssize_t n, int64_t height, bint prologue) except -1 nogil:
        cdef Py_ssize_t i, k, g0, gn
        cdef int64_t x, y, x2, y2, lx = 0, ly = 0, size, lw
        cdef int64_t rem, lim, d
        cdef const uint16_t* gids = &self.gids[0] if self.gids.shape[0] else NULL
        cdef const int32_t* adv = &self.adv[0] if self.adv.shape[0] else NULL
        cdef int32_t kind, fill, stroke, cur_fill = -1, cur_stroke = -1
        cdef int64_t cur_lw = -1, cur_size = -1
        cdef int32_t slot, cur_font = -1, gid, nglyphs
        cdef int64_t off
        cdef bint in_text = False, in_hex
        cdef char* p
        cdef const int32_t* row
        cdef const int32_t* widths = &self.widths[0] if self.widths.shape[0] else NULL
        cdef uint8_t* used = &self.used[0] if self.used.shape[0] else NULL
        cdef int32_t idx, num
        cdef bint tagged = self.tagged, was_text

        self.cur_mark = -1
        self.mark_inside = False
        self.mcid_nodes.clear()
        self.reserve(PROLOGUE_LEN + 16)
        p = self.buf
        if prologue:
            p = put_str(p, PROLOGUE, PROLOGUE_LEN)
        for i in range(i0, i0 + n):
            row = &self.items[i, 0]
            kind = row[C_KIND]
            if kind == K_GLYPHS:
                gn = row[C_GN]
                size = row[C_SIZE]
                if gn <= 0 or size <= 0:
                    continue
                if tagged:
                    was_text = in_text
                    p = self.mark(p, i, &in_text, True)
                    if in_text and not was_text:  # the mark began the text object
                        lx = 0
                        ly = 0
                g0 = row[C_G0]
                # worst case per glyph: 4 hex digits, "><" and a 64-bit adjustment (<= 21 chars)
                p = self.room(p, 160 + gn * 28)
                if not in_text:
                    p = put_str(p, b"BT\n", 3)
                    in_text = True
                    lx = 0
                    ly = 0
                fill = row[C_COLOR] if row[C_COLOR] >= 0 else 0
                if fill != cur_fill:
                    p = put_rgb(p, fill, b"rg")
                    cur_fill = fill
                slot = self.font_map[row[C_FONT]]
                if slot != cur_font or size != cur_size:
                    p = put_str(p, b"/F", 2)
                    p = put_pair(p, slot, size)
                    p = put_str(p, b" Tf\n", 4)
                    cur_font = slot
                    cur_size = size
                off = self.font_off[slot]
                nglyphs = self.font_len[slot]
                # Td is relative to the start of the previous line in this text object
                x = row[C_X]
                y = height - row[C_Y]
                p = put_pair(p, x - lx, y - ly)
                p = put_str(p, b" Td\n[<", 6)
                lx = x
                ly = y
                in_hex = True
                # rem: how far (in 1/1000 em x size) the PDF pen, after the adjustments
                # written so far, is ahead of the display list's pen; an adjustment is
                # written only when it rounds to a non-zero number, and it is subtracted
                # from rem, so rounding never accumulates along the run
                rem = 0
                lim = size - size // 2
                for k in range(gn):
                    gid = gids[g0 + k]
                    if not in_hex:
                        p[0] = b'<'
                        p += 1
                        in_hex = True
                    memcpy(p, HEX2 + 2 * (gid >> 8), 2)
                    memcpy(p + 2, HEX2 + 2 * (gid & 0xFF), 2)
                    p += 4
                    if gid < nglyphs:
                        used[off + gid] = 1
                        rem += widths[off + gid] * size
                    if k == gn - 1:
                        break
                    rem -= <int64_t>adv[g0 + k] * 1000
                    if rem >= lim or rem <= -lim:
                        d = rdiv(rem, size)
                        rem -= d * size
                        p[0] = b'>'
                        p = put_int(p + 1, d)
                        in_hex = False
                if in_hex:
                    p[0] = b'>'
                    p += 1
                p = put_str(p, b"]TJ\n", 4)
            elif kind == K_RULE:
                if tagged:
                    p = self.mark(p, i, &in_text, False)
                p = self.graphics(p, 160, &in_text)
                lw = row[C_SIZE]
                if lw < 0:
                    lw = 0
                if lw != cur_lw:
                    p = put_int(p, lw)
                    p = put_str(p, b" w\n", 3)
                    cur_lw = lw
                stroke = row[C_COLOR] if row[C_COLOR] >= 0 else 0
                if stroke != cur_stroke:
                    p = put_rgb(p, stroke, b"RG")
                    cur_stroke = stroke
                x = row[C_X]
                y = height - row[C_Y]
                x2 = x + row[C_W]
                y2 = y - row[C_H]
                p = put_pair(p, x, y)
                p = put_str(p, b" m ", 3)
                p = put_pair(p, x2, y2)
                p = put_str(p, b" l S\n", 5)
            elif kind == K_RECT:
                fill = row[C_COLOR]
                stroke = row[C_COLOR2] if row[C_SIZE] > 0 else -1
                if fill < 0 and stroke < 0:
                    continue
                if tagged:
                    p = self.mark(p, i, &in_text, False)
                p = self.graphics(p, 200, &in_text)
                if fill >= 0 and fill != cur_fill:
                    p = put_rgb(p, fill, b"rg")
                    cur_fill = fill
                if stroke >= 0:
                    lw = row[C_SIZE]
                    if lw != cur_lw:
                        p = put_int(p, lw)
                        p = put_str(p, b" w\n", 3)
                        cur_lw = lw
                    if stroke != cur_stroke:
                        p = put_rgb(p, stroke, b"RG")
                        cur_stroke = stroke
                # re takes the lower-left corner in PDF's y-up space
                p = put_pair(p, row[C_X], height - row[C_Y] - row[C_H])
                p[0] = b' '
                p = put_pair(p + 1, row[C_W], row[C_H])
                if fill >= 0 and stroke >= 0:
                    p = put_str(p, b" re B\n", 6)
                elif fill >= 0:
                    p = put_str(p, b" re f\n", 6)
                else:
                    p = put_str(p, b" re S\n", 6)
            elif kind == K_IMAGE:
                idx = row[C_FONT]
                if idx < 0 or idx >= self.image_map.shape[0] or row[C_W] <= 0 or row[C_H] <= 0:
                    continue
                num = self.image_map[idx]
                if num < 0:
                    continue
                if tagged:
                    p = self.mark(p, i, &in_text, False)
                p = self.graphics(p, 160, &in_text)
                # the unit square scaled to W x H, its lower-left corner at (X, height - Y - H)
                p = put_str(p, b"q ", 2)
                p = put_int(p, row[C_W])
                p = put_str(p, b" 0 0 ", 5)
                p = put_int(p, row[C_H])
                p[0] = b' '
                p = put_pair(p + 1, row[C_X], height - row[C_Y] - row[C_H])
                p = put_xobject(p, b"Im", num)
            elif kind == K_OVERLAY:
                idx = row[C_FONT]
                if idx < 0 or idx >= self.overlay_map.shape[0]:
                    continue
                num = self.overlay_map[idx]
                if num < 0:
                    continue
                if tagged:
                    p = self.mark(p, i, &in_text, False)
                p = self.graphics(p, 160, &in_text)
                # the form's origin (its lower-left corner) moved to the overlay's lower edge;
                # Q restores colours, line width and font, so the cur_* tracking stays true
                p = put_str(p, b"q 1 0 0 1 ", 10)
                p = put_pair(p, row[C_X], height - row[C_Y] - <int64_t>self.overlay_height[idx])
                p = put_xobject(p, b"Ov", num)
            # other kinds (barcodes are RECTs; tags carry no drawing) draw nothing
        if tagged:
            self.mark_counts.push_back(self.mcid_nodes.size())
            self.mark_nodes.insert(self.mark_nodes.end(), self.mcid_nodes.begin(), self.mcid_nodes.end())
        p = self.room(p, 8)
        if in_text and self.mark_inside and self.cur_mark != -1:
            p = put_str(p, b"EMC\nET\n", 7)
        else:
            if in_text:
                p = put_str(p, b"ET\n", 3)
            if self.cur_mark != -1:
                p = put_str(p, b"EMC\n", 4)
        return p - self.buf
