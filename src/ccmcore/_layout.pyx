# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: the layout and pagination kernel.

Lays out one batch of documents from a compiled program (int32 rows, see _layout.pxd and
ccmcore.program) over Arrow string buffers, and returns the display-list arrays. Text is
shaped here from the fonts' fast-path tables (cmap glyph + HarfBuzz-probed pair kerning);
strings the tables cannot shape arrive pre-shaped by HarfBuzz in the pool. Every loop over
documents, rows, lines and glyphs runs in C without the GIL.
"""

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint16_t, uint64_t
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_FromStringAndSize
from libcpp.vector cimport vector

import numpy as np

from ccmcore._layout cimport *
# display-list item kinds, renamed: ccmcore._layout's K_RULE... are program element kinds
from ccmcore._display cimport (
    K_GLYPHS as GLYPHS, K_RULE as RULE, K_RECT as RECT, K_IMAGE as IMAGE, K_OVERLAY as OVERLAY,
    STRUCT_FIELDS, TAG_DECOR, TAG_REPEAT, TAG_BULLET, TAG_FIXED,
)

__all__ = ["scan", "sum_overflows", "Kernel"]

cdef enum:
    MAX_SLOTS = 512
    PAIR_COMPLEX = -32768
    SLOT_COMPLEX = 0xFFFF
    NEWLINE_GID = 0xFFFF
    GF_SPACE = 1
    GF_NEWLINE = 2
    GF_SHY = 4
    ITEM_FIELDS = 13
    PAGE_FIELDS = 8


cdef struct Src:
    const int32_t* off
    const uint8_t* data
    const int32_t* pre      # pool entry per string, -1: shape from the font tables
    int32_t stride          # 0: one string for every document, 1: indexed


cdef struct FontT:
    const uint16_t* slot_of
    const uint16_t* slot_gid
    const int16_t* pair
    const int32_t* adv
    int32_t upem
    int32_t hyphen       # glyph of "-", shown where a soft hyphen breaks a line


cdef struct Line:
    int32_t g0, g1          # glyph range in the scratch stream, spaces trimmed
    int32_t width           # natural width (mpt)
    int32_t nspaces         # inner spaces, for justification
    int32_t t0, t1          # byte range of the shown text in the source string
    int32_t last            # last line of its paragraph (or before a forced break)
    int32_t hyph            # ends at a soft hyphen, shown as "-"


cdef struct Mark:
    size_t ditems, ogids, oadv, otext, owarn, npages
    int32_t cur_y, fresh, tmpl, top, bottom, fx, fw, flow_pages


cdef inline int32_t utf8_next(const uint8_t* s, int32_t n, int32_t* i) noexcept nogil:
    """Decode one code point at s[i], advance i; malformed bytes give U+FFFD."""
    cdef int32_t c = s[i[0]]
    cdef int32_t need, cp, k
    if c < 0x80:
        i[0] += 1
        return c
    if c >= 0xF0:
        need = 3
        cp = c & 0x07
    elif c >= 0xE0:
        need = 2
        cp = c & 0x0F
    elif c >= 0xC0:
        need = 1
        cp = c & 0x1F
    else:
        i[0] += 1
        return 0xFFFD
    if i[0] + need >= n:
        i[0] = n
        return 0xFFFD
    for k in range(1, need + 1):
        if (s[i[0] + k] & 0xC0) != 0x80:
            i[0] += k
            return 0xFFFD
        cp = (cp << 6) | (s[i[0] + k] & 0x3F)
    i[0] += need + 1
    return cp


def scan(const int32_t[::1] off, const uint8_t[::1] data, const uint16_t[::1] slot_of,
         const int16_t[::1] pair, uint8_t[::1] unknown):
    """Find the strings the fast path cannot shape.

    Marks in ``unknown`` (65,536 flags) every BMP code point the font's tables have not
    probed yet, and returns the indices of strings needing HarfBuzz: those with unprobed,
    complex or supplementary characters, or a pair that interacts beyond kerning. Call again
    after probing: strings with unknown characters then come back only if complex.
    """
    cdef Py_ssize_t n = off.shape[0] - 1
    cdef vector[int32_t] slow
    cdef Py_ssize_t r
    cdef int32_t i, end, cp, slot, prev
    cdef bint bad
    with nogil:
        for r in range(n):
            i = off[r]
            end = off[r + 1]
            prev = 0
            bad = False
            while i < end:
                cp = utf8_next(&data[0], end, &i)
                if cp == 10 or cp == 13 or cp == 0xAD:
                    prev = 0
                    continue
                if cp == 9:
                    cp = 32
                if cp > 0xFFFF:
                    bad = True
                    prev = 0
                    continue
                slot = slot_of[cp]
                if slot == 0:
                    unknown[cp] = 1
                    bad = True
                    prev = 0
                    continue
                if slot == SLOT_COMPLEX:
                    bad = True
                    prev = 0
                    continue
                if prev and pair[prev * MAX_SLOTS + slot] == PAIR_COMPLEX:
                    bad = True
                prev = slot
            if bad:
                slow.push_back(<int32_t>r)
    out = np.empty(slow.size(), dtype=np.int32)
    cdef int32_t[::1] o = out
    for r in range(<Py_ssize_t>slow.size()):
        o[r] = slow[r]
    return out


def sum_overflows(const int64_t[::1] values not None, const int32_t[::1] offsets not None):
    """Documents whose carried sums could wrap around 64 bits.

    ``values`` holds the summed field of every list item, ``offsets`` the first item of
    each document (one more than documents). A table sums any run of a document's items
    (running total, group, page), so a document is refused when the sum of its items'
    magnitudes does not fit int64: then no partial sum can. Returns the document indices
    (int32, ascending).
    """
    cdef Py_ssize_t ndocs = offsets.shape[0] - 1
    cdef vector[int32_t] bad
    cdef Py_ssize_t d
    cdef int32_t i
    cdef uint64_t total, mag
    cdef int64_t v
    cdef uint64_t limit = <uint64_t>9223372036854775807
    if ndocs > 0 and (offsets[0] < 0 or offsets[ndocs] > values.shape[0]):
        raise ValueError("offsets lie outside the values")
    with nogil:
        for d in range(ndocs):
            total = 0
            for i in range(offsets[d], offsets[d + 1]):
                v = values[i]
                mag = (<uint64_t>0 - <uint64_t>v) if v < 0 else <uint64_t>v
                if mag > limit - total:
                    bad.push_back(<int32_t>d)
                    break
                total += mag
    out = np.empty(bad.size(), dtype=np.int32)
    cdef int32_t[::1] o = out
    for d in range(<Py_ssize_t>bad.size()):
        o[d] = bad[d]
    return out


cdef object _copy_i32(const int32_t* src, size_t n):
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] v = out
    if n:
        memcpy(&v[0], src, n * sizeof(int32_t))
    return out


cdef class Kernel:
    """Lays out batches of documents. Internal; driven by ccmcore.job."""

    # the compiled program, kept alive here, read through typed views
    cdef object _keep
    cdef const int32_t[:, ::1] els          # flow and fixed elements
    cdef const int32_t[:, ::1] styles
    cdef const int32_t[:, ::1] tables
    cdef const int32_t[:, ::1] cols
    cdef const int32_t[:, ::1] tmpls
    cdef const int32_t[:, ::1] parts        # page-number text parts (kind, src)
    cdef const int32_t[:, ::1] spans        # rich-text paragraph pieces (source, style)
    cdef int32_t flow0, flown, first_tmpl, next_tmpl, last_tmpl, back_tmpl, blank_tmpl, duplex
    cdef const int32_t[:, ::1] extras       # pages appended after the flow: (template, rule or -1)
    cdef const int32_t[:, ::1] messages     # by priority: (first element, count, rule or -1, slot)
    cdef const int32_t[:, ::1] slots        # (x, y, width, height, at most), slot 0: the last page's free space
    cdef vector[int32_t] omsg               # (doc, message) placed
    cdef vector[FontT] fonts

    # per batch
    cdef vector[Src] srcs
    cdef vector[const int32_t*] lists
    cdef vector[const int64_t*] sums
    cdef const uint8_t[:, ::1] masks
    cdef const uint16_t* pool_g
    cdef const int32_t* pool_a
    cdef const int32_t* pool_c
    cdef const int32_t* pool_start
    cdef const int32_t* pool_len
    cdef const uint8_t* pool_lv
    cdef vector[uint8_t] slv         # bidi level of each glyph of the stream (empty: all left-to-right)
    cdef vector[int32_t] perm

    # scratch shaping stream and lines
    cdef vector[uint16_t] sg
    cdef vector[int32_t] sa
    cdef vector[int32_t] sc
    cdef vector[uint8_t] sf
    cdef vector[int32_t] sst         # style of each glyph of a rich-text paragraph (empty: one style)
    cdef vector[uint16_t] pg2
    cdef vector[int32_t] pa2
    cdef vector[int32_t] pc2
    cdef vector[uint8_t] pf2
    cdef vector[int32_t] ps2
    cdef vector[uint8_t] ptxt
    cdef vector[Line] lines
    cdef const uint8_t* cur_str
    cdef int32_t cur_len

    # output
    cdef vector[int32_t] items       # final, page-contiguous
    cdef vector[int32_t] ditems      # current document's items, in page order
    cdef vector[int32_t] otags       # per item of items: its structure tag (STRUCT_FIELDS)
    cdef vector[int32_t] dtags       # per item of ditems: its structure tag
    cdef int32_t tg_el, tg_part, tg_row, tg_col  # the tag of the items pushed now
    cdef vector[int32_t] dpage_i0    # current document: first ditem of each page
    cdef vector[int32_t] dpage_t     # current document: template of each page
    cdef vector[int32_t] dpage_flow  # current document: number among flow pages (0: not a flow page)
    cdef vector[uint8_t] dpage_last  # current document: the page that carries the last-page content
    cdef int32_t flow_pages
    cdef vector[uint16_t] ogids
    cdef vector[int32_t] oadv
    cdef vector[uint8_t] otext
    cdef vector[int32_t] opages
    cdef vector[int64_t] odocs
    cdef vector[int32_t] owarn       # (doc, element id, code, detail)

    # current page state
    cdef int32_t doc, tmpl, cur_y, top, bottom, fx, fw, fresh, fresh_table, row_dirty
    cdef int32_t page_no, page_count, direct, quiet
    cdef int32_t repeating, table_r0   # tagging: a repeated header is being placed; the table's first item
    cdef int32_t reject_el, reject_detail  # a fixed text that overflows its box rejects its document
    cdef int32_t hyphen_width        # advance of "-" in the style being shaped (mpt)
    cdef vector[uint8_t] ptext
    cdef int32_t ptoff[2]

    # a table row: per column, its lines (kept in rl with glyphs in rg/ra/rf and text in rt)
    cdef vector[Line] rl
    cdef vector[int32_t] rcell0
    cdef vector[int32_t] rcelln
    cdef vector[uint16_t] rg
    cdef vector[int32_t] ra
    cdef vector[uint8_t] rf
    cdef vector[uint8_t] rt
    cdef int32_t row_span            # the built row is one cell across the table
    cdef int32_t body_bottom         # frame bottom less the room kept for a carried-forward row
    cdef int64_t tsum                # running sum of the table's carry field
    cdef int64_t gsum                # sum of the carry field in the current group
    cdef int64_t psum                # sum of the carry field on the current page
    cdef int64_t shown_sum           # the sum an amount cell shows
    cdef int32_t carry_h             # height of the table's carried-forward row
    cdef int32_t group_open          # a group's header is placed and its subtotal is not yet
    cdef int32_t group_row           # the first item of the current group
    cdef int32_t body_rows           # body rows placed in the current table (for striping)

    def __init__(self, program, fonts):
        """program: ccmcore.program.Program; fonts: list of ccmcore.fonts.Font."""
        self._keep = (program, list(fonts))
        self.els = program.elements
        self.styles = program.styles
        self.tables = program.tables
        self.cols = program.columns
        self.tmpls = program.templates
        self.parts = program.page_parts
        self.spans = program.spans
        self.flow0, self.flown = program.flow
        self.first_tmpl = program.first_template
        self.next_tmpl = program.next_template
        self.last_tmpl = program.last_template
        self.back_tmpl = program.back_template
        self.blank_tmpl = program.blank_template
        self.duplex = 1 if program.duplex else 0
        self.extras = program.extra_pages
        self.messages = program.message_rows
        self.slots = program.slot_rows
        cdef FontT ft
        cdef const uint16_t[::1] so
        cdef const uint16_t[::1] sgid
        cdef const int16_t[::1] pr
        cdef const int32_t[::1] adv
        for f in fonts:
            so = f.slot_of
            sgid = f.slot_gid
            pr = f.pair
            adv = f.advances
            ft.slot_of = &so[0]
            ft.slot_gid = &sgid[0]
            ft.pair = &pr[0]
            ft.adv = &adv[0]
            ft.upem = f.upem
            ft.hyphen = f.cmap.get(0x2D, 0)
            self.fonts.push_back(ft)

    def layout(self, sources, lists, masks, pool, const uint8_t[::1] reject, int64_t record0, sums=()):
        """Lay out one batch.

        Args:
            sources: list of (offsets int32, data uint8, pre int32 or None, stride) per text source.
            lists: list of int32 list-offset arrays (one per table source column).
            masks: uint8 array (n_conditions, n_docs), 1 where a condition holds.
            pool: (gids uint16, advances int32 font units, clusters int32, start int32, len int32).
            reject: uint8 per document, 1 to leave the document out.
            record0: record number of the batch's first row.
            sums: int64 arrays over list items, summed by tables that carry a total forward.

        Returns:
            dict of display-list arrays and the warnings array (doc, element, code, detail).
        """
        keep = [sources, lists, masks, pool]
        cdef Src s
        cdef const int32_t[::1] o
        cdef const uint8_t[::1] dd
        cdef const int32_t[::1] pre
        cdef const int32_t[::1] lo
        self.srcs.clear()
        self.lists.clear()
        empty_u8 = np.zeros(1, dtype=np.uint8)
        for off, data, pre_arr, stride in sources:
            o = off
            dd = data if len(data) else empty_u8
            s.off = &o[0]
            s.data = &dd[0]
            if pre_arr is None:
                s.pre = NULL
            else:
                pre = pre_arr
                s.pre = &pre[0]
            s.stride = stride
            self.srcs.push_back(s)
            keep.append((off, dd, pre_arr))
        for arr in lists:
            lo = arr
            self.lists.push_back(&lo[0])
        cdef const int64_t[::1] sv
        self.sums.clear()
        for arr in sums:
            sv = arr if len(arr) else np.zeros(1, np.int64)
            self.sums.push_back(&sv[0])
            keep.append(sv)
        self.masks = masks
        cdef const uint16_t[::1] pg = pool[0]
        cdef const int32_t[::1] pa = pool[1]
        cdef const int32_t[::1] pc = pool[2]
        cdef const int32_t[::1] ps = pool[3]
        cdef const int32_t[::1] pl = pool[4]
        self.pool_g = &pg[0] if pg.shape[0] else NULL
        self.pool_a = &pa[0] if pa.shape[0] else NULL
        self.pool_c = &pc[0] if pc.shape[0] else NULL
        self.pool_start = &ps[0] if ps.shape[0] else NULL
        self.pool_len = &pl[0] if pl.shape[0] else NULL
        cdef const uint8_t[::1] plv = pool[5] if len(pool) > 5 else np.zeros(1, np.uint8)
        self.pool_lv = &plv[0] if plv.shape[0] else NULL
        keep.append(plv)

        self.items.clear()
        self.otags.clear()
        self.ogids.clear()
        self.oadv.clear()
        self.otext.clear()
        self.opages.clear()
        self.odocs.clear()
        self.owarn.clear()
        self.omsg.clear()
        cdef int32_t ndocs = reject.shape[0]
        cdef int32_t d
        with nogil:
            for d in range(ndocs):
                if reject[d]:
                    continue
                self.layout_doc(d, record0)
        return self._result()

    cdef object _result(self):
        items = _copy_i32(self.items.data(), self.items.size()).reshape(-1, ITEM_FIELDS)
        gids = np.empty(self.ogids.size(), dtype=np.uint16)
        cdef uint16_t[::1] gv = gids
        if self.ogids.size():
            memcpy(&gv[0], self.ogids.data(), self.ogids.size() * sizeof(uint16_t))
        adv = _copy_i32(self.oadv.data(), self.oadv.size())
        cdef size_t k
        with nogil:
            # a tab is shown as a space (its glyph is the space's): the text says so too, so
            # every backend writes the same character (an AFP code point U+0009 has no glyph)
            for k in range(self.otext.size()):
                if self.otext[k] == 9:
                    self.otext[k] = 32
        text = PyBytes_FromStringAndSize(<char*>self.otext.data(), self.otext.size())
        pages = _copy_i32(self.opages.data(), self.opages.size()).reshape(-1, PAGE_FIELDS)
        docs = np.empty(self.odocs.size(), dtype=np.int64)
        cdef int64_t[::1] dv = docs
        if self.odocs.size():
            memcpy(&dv[0], self.odocs.data(), self.odocs.size() * sizeof(int64_t))
        warn = _copy_i32(self.owarn.data(), self.owarn.size()).reshape(-1, 4)
        msgs = _copy_i32(self.omsg.data(), self.omsg.size()).reshape(-1, 2)
        struct = _copy_i32(self.otags.data(), self.otags.size()).reshape(-1, STRUCT_FIELDS)
        return dict(items=items, gids=gids, advances=adv, text=text, pages=pages,
                    docs=docs.reshape(-1, 3), warnings=warn, messages=msgs, struct=struct)

    # ------------------------------------------------------------------ documents and pages

    cdef void layout_doc(self, int32_t d, int64_t record0) noexcept nogil:
        # what the document adds to the output, so a rejection found while its pages are
        # written (a fixed text too long for its box) takes it out again
        cdef size_t n_items = self.items.size(), n_gids = self.ogids.size(), n_adv = self.oadv.size()
        cdef size_t n_tags = self.otags.size()
        cdef size_t n_text = self.otext.size(), n_pages = self.opages.size(), n_docs = self.odocs.size()
        cdef size_t n_warn = self.owarn.size(), n_msg = self.omsg.size()
        self.reject_el = -1
        self.doc = d
        self.ditems.clear()
        self.dtags.clear()
        self.dpage_i0.clear()
        self.dpage_t.clear()
        self.dpage_flow.clear()
        self.dpage_last.clear()
        self.flow_pages = 0
        self.new_page(self.first_tmpl)
        self.place_messages_in_slots()
        self.run(self.flow0, self.flow0 + self.flown)
        self.place_messages(0)
        self.finish_pages()
        self.emit_doc(record0 + d)
        if self.reject_el >= 0:
            self.items.resize(n_items)
            self.otags.resize(n_tags)
            self.ogids.resize(n_gids)
            self.oadv.resize(n_adv)
            self.otext.resize(n_text)
            self.opages.resize(n_pages)
            self.odocs.resize(n_docs)
            self.owarn.resize(n_warn)
            self.omsg.resize(n_msg)
            self.owarn.push_back(d)
            self.owarn.push_back(self.reject_el)
            self.owarn.push_back(R_TEXT_OVERFLOW)
            self.owarn.push_back(self.reject_detail)

    cdef void push_page(self, int32_t t, int32_t flow) noexcept nogil:
        self.dpage_i0.push_back(<int32_t>(self.ditems.size() // ITEM_FIELDS))
        self.dpage_t.push_back(t)
        if flow:
            self.flow_pages += 1
        self.dpage_flow.push_back(self.flow_pages if flow else 0)
        self.dpage_last.push_back(0)

    cdef void add_page(self, int32_t t, int32_t flow) noexcept nogil:
        # duplex: the back of the first sheet (terms) comes before the second page
        if self.back_tmpl >= 0 and self.dpage_t.size() == 1:
            self.push_page(self.back_tmpl, 0)
        self.push_page(t, flow)

    cdef void new_page(self, int32_t t) noexcept nogil:
        """Start a flow page with template t: its frame takes the flowing content."""
        self.add_page(t, 1)
        self.tmpl = t
        self.top = self.tmpls[t, P_BY]
        self.bottom = self.top + self.tmpls[t, P_BH]
        self.fx = self.tmpls[t, P_BX]
        self.fw = self.tmpls[t, P_BW]
        self.cur_y = self.top
        self.fresh = 1

    cdef void break_page(self) noexcept nogil:
        self.new_page(self.next_tmpl)

    cdef void finish_pages(self) noexcept nogil:
        """Pages known only once the flow is done: last-page content, extras, backs, blanks."""
        cdef int32_t k, lt = self.last_tmpl
        if lt >= 0:
            # the last page's content must end above the bottom of the last template's frame
            if self.cur_y > self.tmpls[lt, P_BY] + self.tmpls[lt, P_BH]:
                self.break_page()
            self.dpage_last[self.dpage_last.size() - 1] = 1
        for k in range(self.extras.shape[0]):
            if self.extras[k, 0] >= 0 and (self.extras[k, 1] < 0 or self.masks[self.extras[k, 1], self.doc]):
                self.add_page(self.extras[k, 0], 0)
        if self.back_tmpl >= 0 and self.dpage_t.size() == 1:
            self.push_page(self.back_tmpl, 0)
        if self.duplex and self.dpage_t.size() % 2:
            self.push_page(self.blank_tmpl, 0)

    cdef void emit_doc(self, int64_t record) noexcept nogil:
        """Write the document's pages: template content, flow content, last-page content."""
        cdef int32_t npages = <int32_t>self.dpage_i0.size()
        cdef int32_t nitems = <int32_t>(self.ditems.size() // ITEM_FIELDS)
        cdef int32_t p, i0, i1, t, first_item, shown = 0
        cdef size_t base
        self.odocs.push_back(record)
        self.odocs.push_back(<int64_t>(self.opages.size() // PAGE_FIELDS))
        self.odocs.push_back(npages)
        self.direct = 1
        for p in range(npages):
            i0 = self.dpage_i0[p]
            i1 = self.dpage_i0[p + 1] if p + 1 < npages else nitems
            t = self.dpage_t[p]
            first_item = <int32_t>(self.items.size() // ITEM_FIELDS)
            # {page} counts flow pages; a back, blank or extra page shows the one before it
            if self.dpage_flow[p]:
                shown = self.dpage_flow[p]
            self.page_no = shown if shown else 1
            self.page_count = self.flow_pages
            self.run_fixed(self.tmpls[t, P_F0], self.tmpls[t, P_F0] + self.tmpls[t, P_FN])
            base = self.items.size()
            self.items.resize(base + <size_t>(i1 - i0) * ITEM_FIELDS)
            if i1 > i0:
                memcpy(&self.items[base], &self.ditems[<size_t>i0 * ITEM_FIELDS],
                       <size_t>(i1 - i0) * ITEM_FIELDS * sizeof(int32_t))
            base = self.otags.size()
            self.otags.resize(base + <size_t>(i1 - i0) * STRUCT_FIELDS)
            if i1 > i0:
                memcpy(&self.otags[base], &self.dtags[<size_t>i0 * STRUCT_FIELDS],
                       <size_t>(i1 - i0) * STRUCT_FIELDS * sizeof(int32_t))
            if self.dpage_last[p]:
                t = self.last_tmpl
                self.run_fixed(self.tmpls[t, P_F0], self.tmpls[t, P_F0] + self.tmpls[t, P_FN])
                t = self.dpage_t[p]
            self.opages.push_back(<int32_t>(self.odocs.size() // 3 - 1))
            self.opages.push_back(p + 1)
            self.opages.push_back(npages)
            self.opages.push_back(t)
            self.opages.push_back(self.tmpls[t, P_W])
            self.opages.push_back(self.tmpls[t, P_H])
            self.opages.push_back(first_item)
            self.opages.push_back(<int32_t>(self.items.size() // ITEM_FIELDS) - first_item)
        self.direct = 0

    # ------------------------------------------------------------------ trying content

    cdef Mark mark(self) noexcept nogil:
        cdef Mark m
        m.ditems = self.ditems.size()
        m.ogids = self.ogids.size()
        m.oadv = self.oadv.size()
        m.otext = self.otext.size()
        m.owarn = self.owarn.size()
        m.npages = self.dpage_t.size()
        m.cur_y = self.cur_y
        m.fresh = self.fresh
        m.tmpl = self.tmpl
        m.top = self.top
        m.bottom = self.bottom
        m.fx = self.fx
        m.fw = self.fw
        m.flow_pages = self.flow_pages
        return m

    cdef void rollback(self, Mark* m) noexcept nogil:
        """Undo everything placed since the mark, pages included."""
        self.ditems.resize(m.ditems)
        self.dtags.resize(m.ditems // ITEM_FIELDS * STRUCT_FIELDS)
        self.ogids.resize(m.ogids)
        self.oadv.resize(m.oadv)
        self.otext.resize(m.otext)
        self.owarn.resize(m.owarn)
        self.dpage_i0.resize(m.npages)
        self.dpage_t.resize(m.npages)
        self.dpage_flow.resize(m.npages)
        self.dpage_last.resize(m.npages)
        self.cur_y = m.cur_y
        self.fresh = m.fresh
        self.tmpl = m.tmpl
        self.top = m.top
        self.bottom = m.bottom
        self.fx = m.fx
        self.fw = m.fw
        self.flow_pages = m.flow_pages

    cdef void place_messages(self, int32_t slot) noexcept nogil:
        """The highest-priority messages of a slot whose rule holds and that fit, without new pages."""
        cdef int32_t k, placed = 0
        cdef Mark m
        for k in range(self.messages.shape[0]):
            if self.messages[k, 1] < 0 or self.messages[k, 3] != slot:
                continue
            if placed >= self.slots[slot, 4]:
                break
            if self.messages[k, 2] >= 0 and not self.masks[self.messages[k, 2], self.doc]:
                continue
            m = self.mark()
            self.run(self.messages[k, 0], self.messages[k, 0] + self.messages[k, 1])
            if self.dpage_t.size() != m.npages or self.cur_y > self.bottom:
                self.rollback(&m)
                continue
            placed += 1
            self.omsg.push_back(self.doc)
            self.omsg.push_back(k)

    cdef void place_messages_in_slots(self) noexcept nogil:
        """Named slots: message frames on the first page."""
        cdef int32_t s
        cdef Mark page
        for s in range(1, self.slots.shape[0]):
            if self.slots[s, 2] <= 0:
                continue
            page = self.mark()
            self.fx = self.slots[s, 0]
            self.top = self.slots[s, 1]
            self.fw = self.slots[s, 2]
            self.bottom = self.top + self.slots[s, 3]
            self.cur_y = self.top
            self.fresh = 1
            self.place_messages(s)
            # back to the page's own frame, keeping what the slot placed
            self.cur_y = page.cur_y
            self.fresh = page.fresh
            self.top = page.top
            self.bottom = page.bottom
            self.fx = page.fx
            self.fw = page.fw

    cdef int32_t next_height(self, int32_t e) noexcept nogil:
        """Height of the first line (or row, or picture) of the flow element after e."""
        cdef int32_t n = e + 1, end = self.flow0 + self.flown, kind, t, st
        while n < end:
            kind = self.els[n, E_KIND]
            if kind == K_WHEN:
                if not self.masks[self.els[n, E_SRC], self.doc]:
                    n += self.els[n, E_A]
                n += 1
                continue
            if kind == K_SPACER:
                n += 1
                continue
            if kind == K_PARA:
                st = self.els[n, E_STYLE]
                return self.styles[st, S_BEFORE] + self.styles[st, S_LEADING]
            if kind == K_TABLE:
                t = self.els[n, E_SRC]
                return self.header_height(t) + self.styles[self.tables[t, T_BSTYLE], S_LEADING] + \
                    2 * self.tables[t, T_PADY]
            if kind == K_IMAGE:
                return self.els[n, E_H]
            return 0
        return 0

    # ------------------------------------------------------------------ programs

    cdef void run(self, int32_t e0, int32_t e1) noexcept nogil:
        cdef int32_t e = e0
        cdef int32_t kind
        while e < e1:
            kind = self.els[e, E_KIND]
            self.tag(self.els[e, E_ID], 0, -1, -1)
            if kind == K_WHEN:
                if not self.masks[self.els[e, E_SRC], self.doc]:
                    e += self.els[e, E_A]
            elif kind == K_PARA:
                self.paragraph(e)
            elif kind == K_SPACER:
                if self.cur_y + self.els[e, E_H] > self.bottom:
                    self.break_page()
                elif not self.fresh:
                    self.cur_y += self.els[e, E_H]
            elif kind == K_TABLE:
                self.table(e)
            elif kind == K_IMAGE:
                self.flow_image(e)
            e += 1

    cdef void run_fixed(self, int32_t e0, int32_t e1) noexcept nogil:
        """A page template's fixed (absolutely placed) content, page facts known."""
        cdef int32_t e = e0
        cdef int32_t kind
        while e < e1:
            kind = self.els[e, E_KIND]
            self.tag(self.els[e, E_ID], 0, -1, -1)
            if kind == K_WHEN:
                if not self.masks[self.els[e, E_SRC], self.doc]:
                    e += self.els[e, E_A]
            elif kind == K_PAGETEXT:
                self.page_text(e)
            elif kind == K_TEXT:
                self.fixed_text(e)
            elif kind == K_RECT:
                # E_A line width, E_B stroke colour, E_C fill colour
                self.push_item(RECT, self.els[e, E_X], self.els[e, E_Y], self.els[e, E_W], self.els[e, E_H],
                               -1, self.els[e, E_A], self.els[e, E_C], self.els[e, E_B], 0, 0, 0, 0)
            elif kind == K_RULE:
                # E_A line width, E_C colour
                self.push_item(RULE, self.els[e, E_X], self.els[e, E_Y], self.els[e, E_W], self.els[e, E_H],
                               -1, self.els[e, E_A], self.els[e, E_C], -1, 0, 0, 0, 0)
            elif kind == K_IMAGE:
                self.push_item(IMAGE, self.els[e, E_X], self.els[e, E_Y], self.els[e, E_W], self.els[e, E_H],
                               self.els[e, E_A], 0, -1, -1, 0, 0, 0, 0)
            elif kind == K_OVERLAY:
                self.push_item(OVERLAY, self.els[e, E_X], self.els[e, E_Y], 0, 0, self.els[e, E_A], 0, -1, -1,
                               0, 0, 0, 0)
            e += 1

    cdef void flow_image(self, int32_t e) noexcept nogil:
        """A picture in the flow: E_W x E_H at the frame's left, centre or right (E_B)."""
        cdef int32_t st = self.els[e, E_STYLE]
        cdef int32_t w = self.els[e, E_W], h = self.els[e, E_H], x = self.fx
        if not self.fresh:
            self.cur_y += self.styles[st, S_BEFORE]
        if self.cur_y + h > self.bottom and not self.fresh:
            self.break_page()
        if self.els[e, E_B] == A_RIGHT:
            x += self.fw - w
        elif self.els[e, E_B] == A_CENTER:
            x += (self.fw - w) // 2
        self.push_item(IMAGE, x, self.cur_y, w, h, self.els[e, E_A], 0, -1, -1, 0, 0, 0, 0)
        self.cur_y += h + self.styles[st, S_AFTER]
        self.fresh = 0

    # ------------------------------------------------------------------ items

    cdef void push_item(self, int32_t kind, int32_t x, int32_t y, int32_t w, int32_t h, int32_t font,
                        int32_t size, int32_t color, int32_t color2, int32_t g0, int32_t gn,
                        int32_t t0, int32_t tn) noexcept nogil:
        cdef vector[int32_t]* v = &self.items if self.direct else &self.ditems
        v.push_back(kind)
        v.push_back(x)
        v.push_back(y)
        v.push_back(w)
        v.push_back(h)
        v.push_back(font)
        v.push_back(size)
        v.push_back(color)
        v.push_back(color2)
        v.push_back(g0)
        v.push_back(gn)
        v.push_back(t0)
        v.push_back(tn)
        v = &self.otags if self.direct else &self.dtags
        v.push_back(self.tg_el)
        v.push_back(self.tg_part | (TAG_FIXED if self.direct else 0))
        v.push_back(self.tg_row)
        v.push_back(self.tg_col)

    cdef inline void tag(self, int32_t element, int32_t part, int32_t row, int32_t col) noexcept nogil:
        """The structure tag of the items pushed from now on."""
        self.tg_el = element
        self.tg_part = part
        self.tg_row = row
        self.tg_col = col

    cdef void warn(self, int32_t element, int32_t code, int32_t detail) noexcept nogil:
        if self.quiet:
            return
        self.owarn.push_back(self.doc)
        self.owarn.push_back(element)
        self.owarn.push_back(code)
        self.owarn.push_back(detail)

    # ------------------------------------------------------------------ shaping

    cdef int32_t shape(self, int32_t src, int32_t idx, int32_t style) noexcept nogil:
        """Fill the scratch stream with string idx of source src; returns the glyph count."""
        cdef Src* s = &self.srcs[src]
        cdef int32_t k = idx if s.stride else 0
        cdef int32_t b0 = s.off[k]
        cdef int32_t n = s.off[k + 1] - b0
        cdef int32_t font = self.styles[style, S_FONT]
        cdef int32_t size = self.styles[style, S_SIZE]
        cdef FontT* f = &self.fonts[font]
        cdef int64_t scale_num = size
        cdef int64_t upem = f.upem
        cdef int32_t i, j, cp, slot, prev, g, pe, start, ng
        cdef const uint8_t* p = s.data + b0
        self.hyphen_width = <int32_t>((f.adv[f.hyphen] * scale_num + upem // 2) // upem)
        self.cur_str = p
        self.cur_len = n
        self.sg.clear()
        self.sa.clear()
        self.sc.clear()
        self.sf.clear()
        self.sst.clear()
        self.slv.clear()
        if s.pre != NULL and s.pre[k] >= 0:
            pe = s.pre[k]
            start = self.pool_start[pe]
            ng = self.pool_len[pe]
            for j in range(ng):
                if self.pool_lv != NULL and self.pool_lv[start + j]:
                    self.slv.assign(self.pool_lv + start, self.pool_lv + start + ng)
                    break
            for j in range(ng):
                g = self.pool_g[start + j]
                self.sg.push_back(<uint16_t>g)
                self.sc.push_back(self.pool_c[start + j])
                if g == NEWLINE_GID:
                    self.sa.push_back(0)
                    self.sf.push_back(GF_NEWLINE)
                else:
                    self.sa.push_back(<int32_t>((self.pool_a[start + j] * scale_num + upem // 2) // upem))
                    cp = p[self.pool_c[start + j]] if self.pool_c[start + j] < n else 0
                    # a space carrying a combining mark is a visible cluster, not a break
                    if cp == 32 and j + 1 < ng and self.pool_c[start + j + 1] == self.pool_c[start + j]:
                        cp = 0
                    if cp == 32 and j > 0 and self.pool_c[start + j - 1] == self.pool_c[start + j]:
                        cp = 0
                    if cp == 0xC2 and self.pool_c[start + j] + 1 < n and p[self.pool_c[start + j] + 1] == 0xAD:
                        self.sg[self.sg.size() - 1] = <uint16_t>f.hyphen
                        self.sa[self.sa.size() - 1] = 0
                        self.sf.push_back(GF_SHY)
                        continue
                    self.sf.push_back(GF_SPACE if cp == 32 else 0)
            return ng
        i = 0
        prev = 0
        while i < n:
            j = i
            cp = utf8_next(p, n, &i)
            if cp == 13:
                continue
            if cp == 10:
                self.sg.push_back(NEWLINE_GID)
                self.sa.push_back(0)
                self.sc.push_back(j)
                self.sf.push_back(GF_NEWLINE)
                prev = 0
                continue
            if cp == 0xAD:
                # a soft hyphen: invisible, a place to break the word
                self.sg.push_back(<uint16_t>f.hyphen)
                self.sa.push_back(0)
                self.sc.push_back(j)
                self.sf.push_back(GF_SHY)
                prev = 0
                continue
            if cp == 9:
                cp = 32
            slot = f.slot_of[cp] if cp <= 0xFFFF else 0
            if slot == 0 or slot == SLOT_COMPLEX:
                # the scan routes such strings to the pool; reaching here means .notdef
                slot = 0
            g = f.slot_gid[slot] if slot else 0
            if prev and slot:
                self.sa[self.sa.size() - 1] += <int32_t>f.pair[prev * MAX_SLOTS + slot]
            self.sg.push_back(<uint16_t>g)
            self.sa.push_back(f.adv[g])
            self.sc.push_back(j)
            self.sf.push_back(GF_SPACE if cp == 32 else 0)
            prev = slot
        ng = <int32_t>self.sg.size()
        # font units to millipoints once the kerning is in
        for j in range(ng):
            if self.sf[j] != GF_NEWLINE:
                self.sa[j] = <int32_t>((self.sa[j] * scale_num + upem // 2) // upem)
        return ng

    cdef int32_t shape_spans(self, int32_t first, int32_t count) noexcept nogil:
        """Shape a rich-text paragraph's pieces, each with its own style, into one stream."""
        cdef int32_t k, i, base, ng, st
        self.pg2.clear()
        self.pa2.clear()
        self.pc2.clear()
        self.pf2.clear()
        self.ps2.clear()
        self.ptxt.clear()
        for k in range(count):
            st = self.spans[first + k, 1]
            ng = self.shape(self.spans[first + k, 0], self.doc, st)  # shape() clears sst
            base = <int32_t>self.ptxt.size()
            for i in range(self.cur_len):
                self.ptxt.push_back(self.cur_str[i])
            for i in range(ng):
                self.pg2.push_back(self.sg[i])
                self.pa2.push_back(self.sa[i])
                self.pc2.push_back(self.sc[i] + base)
                self.pf2.push_back(self.sf[i])
                self.ps2.push_back(st)
        self.sg.swap(self.pg2)
        self.sa.swap(self.pa2)
        self.sc.swap(self.pc2)
        self.sf.swap(self.pf2)
        self.sst.swap(self.ps2)
        self.cur_str = self.ptxt.data()
        self.cur_len = <int32_t>self.ptxt.size()
        return <int32_t>self.sg.size()

    cdef void break_lines(self, int32_t width, int32_t element) noexcept nogil:
        """First-fit line breaking of the scratch stream into self.lines: at spaces, at soft
        hyphens (the line then ends with a hyphen), and inside a word only when it is wider
        than a line."""
        cdef int32_t n = <int32_t>self.sg.size()
        cdef int32_t i = 0, start = 0, w = 0, last_sp = -1, w_at_sp = 0, warned = 0
        cdef int32_t last_shy = -1, w_at_shy = 0, hy = self.hyphen_width
        cdef uint8_t fl
        self.lines.clear()
        while i < n:
            fl = self.sf[i]
            if fl == GF_NEWLINE:
                self.add_line(start, i, 1)
                start = i + 1
                w = 0
                last_sp = -1
                last_shy = -1
                i += 1
                continue
            if fl == GF_SPACE:
                last_sp = i
                w_at_sp = w
            elif fl == GF_SHY:
                if w + hy <= width:
                    last_shy = i
                    w_at_shy = w
            elif w + self.sa[i] > width and i > start and self.sc[i] != self.sc[i - 1]:
                # (never inside a cluster: a base letter and its marks stay on one line)
                if last_shy > start and last_shy > last_sp:
                    self.add_line(start, last_shy + 1, 0)
                    start = last_shy + 1
                    w = w - w_at_shy
                    last_shy = -1
                    last_sp = -1
                    if w + self.sa[i] > width and i > start and self.sc[i] != self.sc[i - 1]:
                        continue
                elif last_sp > start:
                    self.add_line(start, last_sp, 0)
                    start = last_sp + 1
                    w = w - w_at_sp - self.sa[last_sp]
                    last_sp = -1
                    if last_shy < start:
                        last_shy = -1
                    if w + self.sa[i] > width and i > start and self.sc[i] != self.sc[i - 1]:
                        continue  # the word alone still overflows: loop again to break it
                else:
                    # one word wider than the line: break it where it overflows
                    self.add_line(start, i, 0)
                    if not warned:  # one warning per text, however many breaks it needed
                        self.warn(element, W_OVERLONG_WORD, self.sc[start])
                        warned = 1
                    start = i
                    w = 0
                    last_sp = -1
                    last_shy = -1
            w += self.sa[i]
            i += 1
        if start < n or n == 0 or (n > 0 and self.sf[n - 1] == GF_NEWLINE):
            self.add_line(start, n, 1)

    cdef void add_line(self, int32_t g0, int32_t g1, int32_t last) noexcept nogil:
        cdef Line ln
        cdef int32_t i, w = 0, ns = 0
        while g0 < g1 and self.sf[g0] == GF_SPACE:
            g0 += 1
        while g1 > g0 and self.sf[g1 - 1] == GF_SPACE:
            g1 -= 1
        ln.hyph = 1 if g1 > g0 and self.sf[g1 - 1] == GF_SHY and not last else 0
        for i in range(g0, g1):
            w += self.sa[i]
            if self.sf[i] == GF_SPACE:
                ns += 1
        if ln.hyph:
            w += self.hyphen_width
        ln.g0 = g0
        ln.g1 = g1
        ln.width = w
        ln.nspaces = ns
        ln.last = last
        if g1 > g0:
            ln.t0 = self.sc[g0]
            ln.t1 = self.sc[g1] if g1 < <int32_t>self.sc.size() else self.cur_len
            # clusters of a right-to-left run go backwards
            for i in range(g0, g1):
                if self.sc[i] < ln.t0:
                    ln.t0 = self.sc[i]
            if ln.t1 < ln.t0:
                ln.t1 = self.cur_len
            while ln.t1 > ln.t0 and (self.cur_str[ln.t1 - 1] == 32 or self.cur_str[ln.t1 - 1] == 10
                                     or self.cur_str[ln.t1 - 1] == 13):
                ln.t1 -= 1
        else:
            ln.t0 = 0
            ln.t1 = 0
        self.lines.push_back(ln)

    cdef void emit_line(self, Line* ln, int32_t x, int32_t baseline, int32_t avail, int32_t align,
                        int32_t style) noexcept nogil:
        """Append one line as GLYPHS items at (x, baseline) within avail width: one item, or
        one per style change in a rich-text paragraph."""
        if ln.g1 <= ln.g0:
            return
        cdef int32_t extra = avail - ln.width
        cdef int32_t per = 0, rem = 0, i, j, g0 = <int32_t>self.ogids.size()
        cdef int32_t t0, w = ln.width, k = 0, st, run_w, a0, a1
        if align == A_RIGHT:
            x += extra
        elif align == A_CENTER:
            x += extra // 2
        elif align == A_JUSTIFY and not ln.last and ln.nspaces > 0 and extra > 0:
            per = extra // ln.nspaces
            rem = extra - per * ln.nspaces
            w = avail
        for i in range(ln.g0, ln.g1):
            if self.sf[i] == GF_SHY:
                self.emit_hyphenated(ln, x, baseline, w, per, rem, style)
                return
        if self.slv.size() and self.sst.size() == 0:
            self.emit_visual(ln, x, baseline, w, per, rem, style)
            return
        self.ogids.resize(<size_t>g0 + (ln.g1 - ln.g0))
        self.oadv.resize(<size_t>g0 + (ln.g1 - ln.g0))
        memcpy(&self.ogids[g0], &self.sg[ln.g0], (ln.g1 - ln.g0) * sizeof(uint16_t))
        memcpy(&self.oadv[g0], &self.sa[ln.g0], (ln.g1 - ln.g0) * sizeof(int32_t))
        if per:
            for i in range(ln.g0, ln.g1):
                if self.sf[i] == GF_SPACE:
                    self.oadv[g0 + i - ln.g0] += per + (1 if k < rem else 0)
                    k += 1
        if self.sst.size() == 0:
            t0 = <int32_t>self.otext.size()
            if ln.t1 > ln.t0:
                self.otext.resize(<size_t>t0 + (ln.t1 - ln.t0))
                memcpy(&self.otext[t0], self.cur_str + ln.t0, ln.t1 - ln.t0)
            self.push_item(GLYPHS, x, baseline, w, 0, self.styles[style, S_FONT], self.styles[style, S_SIZE],
                           self.styles[style, S_COLOR], -1, g0, ln.g1 - ln.g0, t0, ln.t1 - ln.t0)
            return
        i = ln.g0
        while i < ln.g1:
            st = self.sst[i]
            j = i
            run_w = 0
            while j < ln.g1 and self.sst[j] == st:
                run_w += self.oadv[g0 + j - ln.g0]
                j += 1
            a0 = self.sc[i]
            a1 = self.sc[j] if j < ln.g1 else ln.t1
            if a1 < a0:
                a1 = a0
            t0 = <int32_t>self.otext.size()
            if a1 > a0:
                self.otext.resize(<size_t>t0 + (a1 - a0))
                memcpy(&self.otext[t0], self.cur_str + a0, a1 - a0)
            self.push_item(GLYPHS, x, baseline, run_w, 0, self.styles[st, S_FONT], self.styles[st, S_SIZE],
                           self.styles[st, S_COLOR], -1, g0 + i - ln.g0, j - i, t0, a1 - a0)
            x += run_w
            i = j

    cdef void emit_hyphenated(self, Line* ln, int32_t x, int32_t baseline, int32_t w, int32_t per, int32_t rem,
                              int32_t style) noexcept nogil:
        """emit_line for a line holding soft hyphens: they vanish, but the one the line
        breaks at is shown as a hyphen (glyph, advance and text)."""
        cdef int32_t i, j, k = 0, g0, t0, st, run_w, cur_st = -1, a, last_shy = ln.g1 - 1 if ln.hyph else -1
        cdef int32_t run_g0 = -1, run_t0 = -1
        cdef FontT* f
        cdef int64_t size
        for i in range(ln.g0, ln.g1):
            if self.sf[i] == GF_SHY and i != last_shy:
                continue
            st = self.sst[i] if self.sst.size() else style
            if st != cur_st:
                if cur_st >= 0:
                    self.close_run(x, baseline, run_g0, run_t0, cur_st)
                    x += self.run_width(run_g0)
                cur_st = st
                run_g0 = <int32_t>self.ogids.size()
                run_t0 = <int32_t>self.otext.size()
            a = self.sa[i]
            if i == last_shy:
                f = &self.fonts[self.styles[st, S_FONT]]
                size = self.styles[st, S_SIZE]
                a = <int32_t>((f.adv[f.hyphen] * size + f.upem // 2) // f.upem)
                self.otext.push_back(45)
            else:
                if per and self.sf[i] == GF_SPACE:
                    a += per + (1 if k < rem else 0)
                    k += 1
                # the glyph's text: its cluster's bytes, soft hyphens left out
                j = self.sc[i]
                t0 = self.sc[i + 1] if i + 1 < <int32_t>self.sc.size() and self.sc[i + 1] > j else (
                    ln.t1 if i + 1 >= ln.g1 and ln.t1 > j else j)
                if i + 1 < ln.g1 and self.sc[i + 1] == j:
                    t0 = j  # a cluster of several glyphs: its text goes with its last glyph
                while j < t0:
                    if not (self.cur_str[j] == 0xC2 and j + 1 < t0 and self.cur_str[j + 1] == 0xAD):
                        self.otext.push_back(self.cur_str[j])
                        j += 1
                    else:
                        j += 2
            self.ogids.push_back(self.sg[i])
            self.oadv.push_back(a)
        if cur_st >= 0:
            self.close_run(x, baseline, run_g0, run_t0, cur_st)

    cdef void emit_visual(self, Line* ln, int32_t x, int32_t baseline, int32_t w, int32_t per, int32_t rem,
                          int32_t style) noexcept nogil:
        """emit_line for a line with right-to-left glyphs: put it in visual order (UAX #9 rule
        L2: from the highest level down to the lowest odd one, reverse every run at or above
        it), trailing whitespace at the paragraph level."""
        cdef int32_t n = ln.g1 - ln.g0, i, j, a, b, lev, top = 0, low = 255, k = 0, g0 = <int32_t>self.ogids.size()
        cdef int32_t t0 = <int32_t>self.otext.size(), tmp
        self.perm.resize(n)
        for i in range(n):
            self.perm[i] = ln.g0 + i
            lev = self.slv[ln.g0 + i]
            if lev > top:
                top = lev
            if lev % 2 and lev < low:
                low = lev
        lev = top
        while lev >= low and lev > 0:
            i = 0
            while i < n:
                if self.slv[self.perm[i]] >= lev:
                    j = i
                    while j < n and self.slv[self.perm[j]] >= lev:
                        j += 1
                    a = i
                    b = j - 1
                    while a < b:
                        tmp = self.perm[a]
                        self.perm[a] = self.perm[b]
                        self.perm[b] = tmp
                        a += 1
                        b -= 1
                    i = j
                else:
                    i += 1
            lev -= 1
        for i in range(n):
            j = self.perm[i]
            a = self.sa[j]
            if per and self.sf[j] == GF_SPACE:
                a += per + (1 if k < rem else 0)
                k += 1
            self.ogids.push_back(self.sg[j])
            self.oadv.push_back(a)
        if ln.t1 > ln.t0:
            self.otext.resize(<size_t>t0 + (ln.t1 - ln.t0))
            memcpy(&self.otext[t0], self.cur_str + ln.t0, ln.t1 - ln.t0)
        self.push_item(GLYPHS, x, baseline, w, 0, self.styles[style, S_FONT], self.styles[style, S_SIZE],
                       self.styles[style, S_COLOR], -1, g0, n, t0, ln.t1 - ln.t0)

    cdef int32_t run_width(self, int32_t g0) noexcept nogil:
        cdef int32_t i, w = 0
        for i in range(g0, <int32_t>self.oadv.size()):
            w += self.oadv[i]
        return w

    cdef void close_run(self, int32_t x, int32_t baseline, int32_t g0, int32_t t0, int32_t st) noexcept nogil:
        self.push_item(GLYPHS, x, baseline, self.run_width(g0), 0, self.styles[st, S_FONT], self.styles[st, S_SIZE],
                       self.styles[st, S_COLOR], -1, g0, <int32_t>self.ogids.size() - g0, t0,
                       <int32_t>self.otext.size() - t0)

    # ------------------------------------------------------------------ flow elements

    cdef void paragraph(self, int32_t e) noexcept nogil:
        """A flowing paragraph: E_B bullet source (-1: none), E_C left indent, E_X keep with
        next, E_Y widows, E_W orphans (lines at least after / before a page break)."""
        cdef int32_t st = self.els[e, E_STYLE]
        cdef int32_t leading = self.styles[st, S_LEADING]
        cdef int32_t base = self.styles[st, S_BASELINE]
        cdef int32_t align = self.styles[st, S_ALIGN]
        cdef int32_t indent = self.els[e, E_C], bullet = self.els[e, E_B]
        cdef int32_t widows = self.els[e, E_Y], orphans = self.els[e, E_W]
        cdef int32_t n, i = 0, k, room, rem, need, j
        cdef int32_t has_bullet = 0
        if bullet >= 0:
            # the bullet is shaped first and kept in the row buffers
            self.rl.clear()
            self.rg.clear()
            self.ra.clear()
            self.rf.clear()
            self.rt.clear()
            has_bullet = self.cell_lines(bullet, self.doc, st, indent if indent > 0 else self.fw, self.els[e, E_ID],
                                         &self.rl, &self.rg, &self.ra, &self.rf, &self.rt)
        if self.els[e, E_A] > 0:
            if self.shape_spans(self.els[e, E_SRC], self.els[e, E_A]) == 0:
                return
        elif self.shape(self.els[e, E_SRC], self.doc, st) == 0:
            return
        self.break_lines(self.fw - indent, self.els[e, E_ID])
        n = <int32_t>self.lines.size()
        if not self.fresh:
            self.cur_y += self.styles[st, S_BEFORE]
        if self.els[e, E_X] and not self.fresh:
            # keep with next: this paragraph and the first line of what follows go together
            need = n * leading + self.styles[st, S_AFTER] + self.next_height(e)
            if self.cur_y + need > self.bottom and need <= self.bottom - self.top:
                self.break_page()
        while i < n:
            room = (self.bottom - self.cur_y) // leading
            if room < 0:
                room = 0
            rem = n - i
            k = rem
            if rem > room:
                k = room
                if rem - k < widows:
                    k = rem - widows
                if (i == 0 and k < orphans) or k <= 0:
                    if not self.fresh:
                        self.break_page()
                        continue
                    k = room if room > 0 else 1  # a frame smaller than the rules: place what fits
            for j in range(i, i + k):
                if j == 0 and has_bullet:
                    self.tg_part = TAG_BULLET
                    self.emit_saved(self.fx, self.cur_y + base, indent if indent > 0 else self.fw, st)
                    self.tg_part = 0
                self.emit_line(&self.lines[j], self.fx + indent, self.cur_y + base, self.fw - indent, align, st)
                self.cur_y += leading
                self.fresh = 0
            i += k
            if i < n:
                self.break_page()
        self.cur_y += self.styles[st, S_AFTER]

    cdef void emit_saved(self, int32_t x, int32_t baseline, int32_t width, int32_t style) noexcept nogil:
        """Emit the first line kept in the row buffers (a bullet) at (x, baseline)."""
        cdef const uint8_t* saved = self.cur_str
        if self.rl.size() == 0:
            return
        self.sg.swap(self.rg)
        self.sa.swap(self.ra)
        self.sf.swap(self.rf)
        self.cur_str = self.rt.data()
        self.emit_line(&self.rl[0], x, baseline, width, A_LEFT, style)
        self.sg.swap(self.rg)
        self.sa.swap(self.ra)
        self.sf.swap(self.rf)
        self.cur_str = saved
        self.tg_col = -1

    cdef void fixed_text(self, int32_t e) noexcept nogil:
        """A text placed in a box (E_W x E_H). Text that needs more lines than the box holds
        follows the element's rule (E_A): reject the document, cut it with a mark (glyph
        E_B of advance E_C ends the last line), or shrink it through the E_C styles from
        E_B on; never drawn past the box."""
        cdef int32_t st = self.els[e, E_STYLE]
        cdef int32_t y = self.els[e, E_Y]
        cdef int32_t w = self.els[e, E_W], h = self.els[e, E_H], rule = self.els[e, E_A]
        cdef int32_t fit, k, step, nlines, avail, align, mx
        if self.shape(self.els[e, E_SRC], self.doc, st) == 0:
            return
        self.break_lines(w, self.els[e, E_ID])
        nlines = <int32_t>self.lines.size()
        fit = h // self.styles[st, S_LEADING]
        if nlines > fit and rule == OVERFLOW_SHRINK:
            for step in range(self.els[e, E_C]):
                st = self.els[e, E_B] + step
                self.shape(self.els[e, E_SRC], self.doc, st)
                self.break_lines(w, self.els[e, E_ID])
                fit = h // self.styles[st, S_LEADING]
                if <int32_t>self.lines.size() <= fit:
                    self.warn(self.els[e, E_ID], W_TEXT_SHRUNK, self.styles[st, S_SIZE])
                    break
        if <int32_t>self.lines.size() > fit:
            if rule != OVERFLOW_CUT or fit < 1:
                if self.reject_el < 0:
                    self.reject_el = self.els[e, E_ID]
                    self.reject_detail = nlines
                return
            self.cut_line(&self.lines[fit - 1], w, self.els[e, E_C])
            self.lines.resize(fit)
            self.warn(self.els[e, E_ID], W_TEXT_CUT, nlines)
        align = self.styles[st, S_ALIGN]
        for k in range(<int32_t>self.lines.size()):
            avail = w
            mx = -1
            if rule == OVERFLOW_CUT and k == fit - 1 and fit < nlines:
                avail = w - self.els[e, E_C]  # the line and its mark share the box's width
                mx = self.els[e, E_X] + self.lines[k].width
                if align == A_RIGHT:
                    mx += avail - self.lines[k].width
                elif align == A_CENTER:
                    mx += (avail - self.lines[k].width) // 2
            self.emit_line(&self.lines[k], self.els[e, E_X], y + self.styles[st, S_BASELINE], avail, align, st)
            if mx >= 0:
                self.emit_mark(mx, y + self.styles[st, S_BASELINE], self.els[e, E_B], self.els[e, E_C], st)
            y += self.styles[st, S_LEADING]

    cdef void cut_line(self, Line* ln, int32_t avail, int32_t mark_w) noexcept nogil:
        """Drop glyphs from the end of a line until the cut mark fits after it."""
        while ln.g1 > ln.g0 and (ln.width + mark_w > avail or self.sf[ln.g1 - 1] == GF_SPACE):
            ln.g1 -= 1
            ln.width -= self.sa[ln.g1]
            ln.t1 = self.sc[ln.g1]
        ln.last = 1  # a cut line is never justified

    cdef void emit_mark(self, int32_t x, int32_t baseline, int32_t gid, int32_t adv, int32_t st) noexcept nogil:
        """The cut mark (an ellipsis) as a one-glyph item; its text is U+2026."""
        cdef int32_t g0 = <int32_t>self.ogids.size(), t0 = <int32_t>self.otext.size()
        self.ogids.push_back(<uint16_t>gid)
        self.oadv.push_back(adv)
        self.otext.push_back(0xE2)
        self.otext.push_back(0x80)
        self.otext.push_back(0xA6)
        self.push_item(GLYPHS, x, baseline, adv, 0, self.styles[st, S_FONT], self.styles[st, S_SIZE],
                       self.styles[st, S_COLOR], -1, g0, 1, t0, 3)

    cdef void page_text(self, int32_t e) noexcept nogil:
        """A fixed text with {page} / {pages}: composed here, shaped from the font tables."""
        cdef int32_t st = self.els[e, E_STYLE]
        cdef int32_t p0 = self.els[e, E_A], pn = self.els[e, E_B]
        cdef int32_t j, kind, src, b0, b1, v, nd
        cdef Src* s
        cdef char digits[12]
        cdef size_t k
        cdef int32_t y = self.els[e, E_Y]
        self.ptext.clear()
        for j in range(p0, p0 + pn):
            kind = self.parts[j, 0]
            if kind == PART_TEXT:
                s = &self.srcs[self.parts[j, 1]]
                b0 = s.off[0]
                b1 = s.off[1]
                for v in range(b0, b1):
                    self.ptext.push_back(s.data[v])
            else:
                v = self.page_no if kind == PART_PAGE else self.page_count
                nd = 0
                while True:
                    digits[nd] = <char>(48 + v % 10)
                    nd += 1
                    v //= 10
                    if v == 0:
                        break
                while nd > 0:
                    nd -= 1
                    self.ptext.push_back(<uint8_t>digits[nd])
        # shape the composed text through a one-string source
        cdef Src tmp
        self.ptoff[0] = 0
        self.ptoff[1] = <int32_t>self.ptext.size()
        tmp.off = self.ptoff
        tmp.data = self.ptext.data()
        tmp.pre = NULL
        tmp.stride = 0
        self.srcs.push_back(tmp)
        self.shape(<int32_t>self.srcs.size() - 1, 0, st)
        self.srcs.pop_back()
        self.break_lines(self.els[e, E_W], self.els[e, E_ID])
        for k in range(self.lines.size()):
            self.emit_line(&self.lines[k], self.els[e, E_X], y + self.styles[st, S_BASELINE], self.els[e, E_W],
                           self.styles[st, S_ALIGN], st)
            y += self.styles[st, S_LEADING]

    # ------------------------------------------------------------------ tables

    cdef int32_t cell_lines(self, int32_t src, int32_t idx, int32_t style, int32_t width, int32_t element,
                            vector[Line]* out, vector[uint16_t]* og, vector[int32_t]* oa, vector[uint8_t]* of,
                            vector[uint8_t]* ot) noexcept nogil:
        """Shape and break one cell; keep its lines with their own copy of glyphs and text."""
        cdef int32_t g_base = <int32_t>og.size(), t_base = <int32_t>ot.size()
        cdef size_t k
        cdef int32_t i
        cdef Line ln
        if self.shape(src, idx, style) == 0:
            return 0
        self.break_lines(width, element)
        cdef size_t ng = self.sg.size()
        og.resize(g_base + ng)
        oa.resize(g_base + ng)
        of.resize(g_base + ng)
        memcpy(&og[0][g_base], self.sg.data(), ng * sizeof(uint16_t))
        memcpy(&oa[0][g_base], self.sa.data(), ng * sizeof(int32_t))
        memcpy(&of[0][g_base], self.sf.data(), ng)
        if self.cur_len:
            ot.resize(t_base + self.cur_len)
            memcpy(&ot[0][t_base], self.cur_str, self.cur_len)
        for k in range(self.lines.size()):
            ln = self.lines[k]
            ln.g0 += g_base
            ln.g1 += g_base
            ln.t0 += t_base
            ln.t1 += t_base
            out.push_back(ln)
        return <int32_t>self.lines.size()

    cdef int32_t build_row(self, int32_t t, int32_t which, int32_t idx, int32_t style, int32_t element) noexcept nogil:
        """Shape the cells of one row: which 0 header, 1 body (item idx), 2 total (doc idx),
        3 group header (item idx, one cell across the table), 4 carried / 5 brought forward,
        6 group subtotal, 7 page subtotal, 8 continued group header (like 3)."""
        cdef int32_t ncols = self.tables[t, T_NCOLS], c0 = self.tables[t, T_COL0]
        cdef int32_t padx = self.tables[t, T_PADX]
        cdef int32_t c, src, n, most = 0
        self.rl.clear()
        self.rcell0.clear()
        self.rcelln.clear()
        self.rg.clear()
        self.ra.clear()
        self.rf.clear()
        self.rt.clear()
        self.row_span = 1 if which == 3 or which == 8 else 0
        if self.row_span:
            self.rcell0.push_back(0)
            n = self.cell_lines(self.tables[t, T_GHSRC if which == 3 else T_GCSRC], idx, style, self.table_width(t) - 2 * padx, element,
                                &self.rl, &self.rg, &self.ra, &self.rf, &self.rt)
            self.rcelln.push_back(n)
            return n
        for c in range(ncols):
            self.rcell0.push_back(<int32_t>self.rl.size())
            n = 0
            if which >= 4:  # 4 to 7: a label and a sum
                if c == 0:
                    n = self.cell_lines(self.tables[t, T_CLABEL if which == 4 else (
                                            T_BLABEL if which == 5 else (T_GFLABEL if which == 6 else T_PSLABEL))],
                                        0, style,
                                        self.cols[c0 + c, C_W] - 2 * padx, element,
                                        &self.rl, &self.rg, &self.ra, &self.rf, &self.rt)
                elif c == self.tables[t, T_CCOL]:
                    self.shown_sum = self.gsum if which == 6 or self.tables[t, T_CGROUPED] else (
                        self.psum if which == 7 else self.tsum)
                    n = self.amount_cell(t, style, self.cols[c0 + c, C_W] - 2 * padx, element)
            else:
                src = self.cols[c0 + c, C_HSRC + (0 if which == 0 else (1 if which == 1 else 2))]
                if src >= 0:
                    n = self.cell_lines(src, idx, style, self.cols[c0 + c, C_W] - 2 * padx, element,
                                        &self.rl, &self.rg, &self.ra, &self.rf, &self.rt)
            self.rcelln.push_back(n)
            if n > most:
                most = n
        return most

    cdef int32_t amount_cell(self, int32_t t, int32_t style, int32_t width, int32_t element) noexcept nogil:
        """A sum as text ("-1,234.56"), composed here and shaped from the tables."""
        cdef int64_t v = self.shown_sum
        cdef int32_t dec = self.tables[t, T_CDEC], nd = 0, k
        cdef char digits[24]
        cdef uint64_t u = <uint64_t>(-v) if v < 0 else <uint64_t>v
        cdef Src tmp
        self.ptext.clear()
        while True:
            digits[nd] = <char>(48 + u % 10)
            nd += 1
            u //= 10
            if u == 0:
                break
        while nd <= dec:  # 5 cents with two decimals is 0.05
            digits[nd] = b'0'
            nd += 1
        if v < 0:
            self.ptext.push_back(45)
        for k in range(nd - 1, -1, -1):
            self.ptext.push_back(<uint8_t>digits[k])
            if k == dec and dec > 0:
                self.append_static(self.tables[t, T_CPOINT])
            elif k > dec and (k - dec) % 3 == 0:
                self.append_static(self.tables[t, T_CGROUP])
        self.ptoff[0] = 0
        self.ptoff[1] = <int32_t>self.ptext.size()
        tmp.off = self.ptoff
        tmp.data = self.ptext.data()
        tmp.pre = NULL
        tmp.stride = 0
        self.srcs.push_back(tmp)
        k = self.cell_lines(<int32_t>self.srcs.size() - 1, 0, style, width, element,
                            &self.rl, &self.rg, &self.ra, &self.rf, &self.rt)
        self.srcs.pop_back()
        return k

    cdef void append_static(self, int32_t src) noexcept nogil:
        """The text of a source for the current document (static, or one per document)."""
        cdef Src* s = &self.srcs[src]
        cdef int32_t i, k = self.doc if s.stride else 0
        for i in range(s.off[k], s.off[k + 1]):
            self.ptext.push_back(s.data[i])

    cdef void place_row_slots(self, int32_t t, int32_t style, int32_t slot0, int32_t slot1, int32_t y) noexcept nogil:
        """Emit line slots [slot0, slot1) of the built row, the first at row offset y."""
        cdef int32_t ncols = self.tables[t, T_NCOLS], c0 = self.tables[t, T_COL0]
        cdef int32_t padx = self.tables[t, T_PADX], pady = self.tables[t, T_PADY]
        cdef int32_t leading = self.styles[style, S_LEADING], base = self.styles[style, S_BASELINE]
        cdef int32_t c, j, x = self.fx, cw
        cdef Line* ln
        cdef const uint8_t* saved = self.cur_str
        cdef int32_t align
        if self.row_span:
            ncols = 1
        # emit_line reads the scratch stream: point it at the row's copy
        self.sg.swap(self.rg)
        self.sa.swap(self.ra)
        self.sf.swap(self.rf)
        self.cur_str = self.rt.data()
        for c in range(ncols):
            self.tg_col = c
            cw = self.table_width(t) if self.row_span else self.cols[c0 + c, C_W]
            align = A_LEFT if self.row_span else self.cols[c0 + c, C_ALIGN]
            for j in range(slot0, slot1):
                if j < self.rcelln[c]:
                    ln = &self.rl[self.rcell0[c] + j]
                    self.emit_line(ln, x + padx, y + pady + (j - slot0) * leading + base, cw - 2 * padx,
                                   align, style)
            x += cw
        self.sg.swap(self.rg)
        self.sa.swap(self.ra)
        self.sf.swap(self.rf)
        self.cur_str = saved

    cdef int32_t table_width(self, int32_t t) noexcept nogil:
        cdef int32_t c, w = 0
        for c in range(self.tables[t, T_NCOLS]):
            w += self.cols[self.tables[t, T_COL0] + c, C_W]
        return w

    cdef void header(self, int32_t t, int32_t element) noexcept nogil:
        cdef int32_t hs = self.tables[t, T_HSTYLE]
        cdef int32_t rows = self.build_row(t, 0, 0, hs, element)
        cdef int32_t h = rows * self.styles[hs, S_LEADING] + 2 * self.tables[t, T_PADY]
        self.row_dirty = 1
        if rows == 0:
            return
        self.tag(element, 1 | self.repeating, -1, -1)
        self.place_row_slots(t, hs, 0, rows, self.cur_y)
        self.cur_y += h
        if self.tables[t, T_HRULE] > 0:
            self.tg_part |= TAG_DECOR
            self.push_item(RULE, self.fx, self.cur_y, self.table_width(t), 0, -1, self.tables[t, T_HRULE],
                           self.tables[t, T_RCOLOR], -1, 0, 0, 0, 0)
        self.fresh = 0

    cdef int32_t header_height(self, int32_t t) noexcept nogil:
        cdef int32_t hs = self.tables[t, T_HSTYLE], c, any_header = 0
        for c in range(self.tables[t, T_NCOLS]):
            if self.cols[self.tables[t, T_COL0] + c, C_HSRC] >= 0:
                any_header = 1
        if not any_header:
            return 0
        return self.styles[hs, S_LEADING] + 2 * self.tables[t, T_PADY]

    cdef int32_t carry_height(self, int32_t t) noexcept nogil:
        """Room kept at a page's foot for the carried-forward row (measured per table)."""
        if self.tables[t, T_CARRY] < 0:
            return 0
        return self.carry_h * (2 if self.tables[t, T_PSLABEL] >= 0 else 1)

    cdef void measure_carry(self, int32_t t, int32_t element) noexcept nogil:
        cdef int32_t ts = self.tables[t, T_TSTYLE], h4, h5
        self.carry_h = 0
        if self.tables[t, T_CARRY] < 0:
            return
        h4 = self.row_height(t, 4, 0, ts, element)
        h5 = self.row_height(t, 5, 0, ts, element)
        self.carry_h = h4 if h4 > h5 else h5

    cdef int32_t row_height(self, int32_t t, int32_t which, int32_t idx, int32_t style, int32_t element) noexcept nogil:
        """Height of a row, measured by building it (the row buffers must be rebuilt after)."""
        cdef int32_t slots
        self.quiet = 1
        slots = self.build_row(t, which, idx, style, element)
        self.quiet = 0
        self.row_dirty = 1
        if slots == 0:
            slots = 1
        return slots * self.styles[style, S_LEADING] + 2 * self.tables[t, T_PADY]

    cdef void place_carry(self, int32_t t, int32_t which, int32_t element) noexcept nogil:
        """A carried-forward (4), brought-forward (5) or page-subtotal (7) row with its sum,
        or the continued header (8) of the current group."""
        cdef int32_t ts = self.tables[t, T_GSTYLE if which == 8 else T_TSTYLE]
        cdef int32_t slots = self.build_row(t, which, self.group_row if which == 8 else 0, ts, element)
        self.row_dirty = 1
        if slots == 0:
            return
        self.tag(element, which + 1, self.group_row - self.table_r0 if which == 8 else -1, -1)
        self.place_row_slots(t, ts, 0, slots, self.cur_y)
        self.cur_y += slots * self.styles[ts, S_LEADING] + 2 * self.tables[t, T_PADY]

    cdef void new_table_page(self, int32_t t, int32_t element) noexcept nogil:
        """Close the page (page subtotal, carried forward) and open the next (header, the
        continued group's header, brought forward). With carry per group the carried rows
        belong to the group being continued: a break between groups has none."""
        cdef bint carried = self.tables[t, T_CARRY] >= 0 and (not self.tables[t, T_CGROUPED] or self.group_open)
        cdef bint continued = self.group_open and self.tables[t, T_GCSRC] >= 0
        if self.tables[t, T_PSLABEL] >= 0:
            self.place_carry(t, 7, element)
        self.psum = 0
        if carried:
            self.place_carry(t, 4, element)
        self.break_page()
        self.body_bottom = self.bottom - self.carry_height(t)
        if self.tables[t, T_REPEAT]:
            self.repeating = TAG_REPEAT
            self.header(t, element)
            self.repeating = 0
        if continued:
            self.place_carry(t, 8, element)
        if carried:
            self.place_carry(t, 5, element)
        self.fresh_table = 1

    cdef void row_decor(self, int32_t t, int32_t which, int32_t y, int32_t h) noexcept nogil:
        """Stripe behind a body row fragment (pushed before its text) - see row_borders for lines."""
        if which == 1 and self.tables[t, T_STRIPE] >= 0 and self.body_rows % 2 == 1:
            self.push_item(RECT, self.fx, y, self.table_width(t), h, -1, 0, self.tables[t, T_STRIPE], -1,
                           0, 0, 0, 0)

    cdef void row_borders(self, int32_t t, int32_t y, int32_t h) noexcept nogil:
        cdef int32_t bw = self.tables[t, T_BORDER], c, x = self.fx, w = self.table_width(t)
        cdef int32_t bc = self.tables[t, T_BCOLOR], c0 = self.tables[t, T_COL0]
        if bw <= 0:
            return
        self.push_item(RULE, self.fx, y, w, 0, -1, bw, bc, -1, 0, 0, 0, 0)
        self.push_item(RULE, self.fx, y + h, w, 0, -1, bw, bc, -1, 0, 0, 0, 0)
        self.push_item(RULE, x, y, 0, h, -1, bw, bc, -1, 0, 0, 0, 0)
        for c in range(self.tables[t, T_NCOLS]):
            x += self.cols[c0 + c, C_W]
            self.push_item(RULE, x, y, 0, h, -1, bw, bc, -1, 0, 0, 0, 0)

    cdef void row(self, int32_t t, int32_t which, int32_t idx, int32_t style, int32_t element) noexcept nogil:
        """Place one body, total or group-header row, breaking the page (and repeating the
        header, with carried/brought-forward rows) as needed.

        A row moves whole to the next page when it fits there; only a row taller than a
        page's frame is split between its lines.
        """
        cdef int32_t slots = self.build_row(t, which, idx, style, element)
        cdef int32_t leading = self.styles[style, S_LEADING], pady = self.tables[t, T_PADY]
        cdef int32_t rule_w = self.tables[t, T_TRULE] if which == 2 else 0
        cdef int32_t h, room, fit, done = 0
        cdef int32_t capacity = self.body_bottom - self.top - self.carry_height(t)
        cdef int32_t bottom = self.body_bottom if which != 2 else self.bottom
        if self.tables[t, T_REPEAT]:
            capacity -= self.header_height(t)
        self.row_dirty = 0
        if slots == 0:
            slots = 1
        h = slots * leading + 2 * pady
        if h <= capacity:
            if self.cur_y + h > bottom:
                self.new_table_page(t, element)
                bottom = self.body_bottom if which != 2 else self.bottom
            fit = slots
        else:
            self.warn(element, W_ROW_SPLIT, idx)
        while done < slots:
            room = (bottom - self.cur_y - 2 * pady) // leading
            fit = slots - done if room >= slots - done else room
            if fit <= 0:
                if not self.fresh_table:
                    self.new_table_page(t, element)
                    bottom = self.body_bottom if which != 2 else self.bottom
                    continue
                fit = 1  # a line taller than the frame: place it anyway, nothing is lost
            self.tag(element, (which + 1) | TAG_DECOR, idx - self.table_r0 if which != 2 else -1, -1)
            if rule_w > 0 and done == 0:
                self.push_item(RULE, self.fx, self.cur_y, self.table_width(t), 0, -1, rule_w,
                               self.tables[t, T_RCOLOR], -1, 0, 0, 0, 0)
            if self.row_dirty:
                # the header reused the row buffers: rebuild without warning a second time
                self.quiet = 1
                self.build_row(t, which, idx, style, element)
                self.quiet = 0
                self.row_dirty = 0
            self.row_decor(t, which, self.cur_y, fit * leading + 2 * pady)
            self.tg_part = which + 1
            self.place_row_slots(t, style, done, done + fit, self.cur_y)
            self.tg_part = (which + 1) | TAG_DECOR
            if which == 1:
                self.row_borders(t, self.cur_y, fit * leading + 2 * pady)
            self.cur_y += fit * leading + 2 * pady
            done += fit
            self.fresh = 0
            self.fresh_table = 0
        if which == 1:
            self.body_rows += 1
            if self.tables[t, T_CARRY] >= 0:
                self.tsum += self.sums[self.tables[t, T_CARRY]][idx]
                self.gsum += self.sums[self.tables[t, T_CARRY]][idx]
                self.psum += self.sums[self.tables[t, T_CARRY]][idx]

    cdef bint same_key(self, int32_t src, int32_t a, int32_t b) noexcept nogil:
        """Do items a and b have the same text in source src?"""
        cdef Src* s = &self.srcs[src]
        cdef int32_t la = s.off[a + 1] - s.off[a], lb = s.off[b + 1] - s.off[b], i
        if la != lb:
            return False
        for i in range(la):
            if s.data[s.off[a] + i] != s.data[s.off[b] + i]:
                return False
        return True

    cdef int32_t rows_height(self, int32_t t, int32_t r, int32_t r_end, int32_t bs, int32_t element) noexcept nogil:
        cdef int32_t h = 0
        while r < r_end:
            h += self.row_height(t, 1, r, bs, element)
            r += 1
        return h

    cdef void table(self, int32_t e) noexcept nogil:
        cdef int32_t t = self.els[e, E_SRC]
        cdef int32_t element = self.els[e, E_ID]
        cdef const int32_t* lo = self.lists[self.tables[t, T_LIST]]
        cdef int32_t r0 = lo[self.doc], r1 = lo[self.doc + 1], r, r_end, need, n_first
        cdef int32_t bs = self.tables[t, T_BSTYLE], gs = self.tables[t, T_GSTYLE]
        cdef int32_t st = self.els[e, E_STYLE]
        cdef int32_t gsrc = self.tables[t, T_GSRC], keep = self.tables[t, T_KEEP]
        cdef int32_t orphans = self.tables[t, T_ORPHANS], widows = self.tables[t, T_WIDOWS]
        cdef int32_t gflabel = self.tables[t, T_GFLABEL], ts = self.tables[t, T_TSTYLE], g_end = r0
        # the rows a group's subtotal keeps with: two, or the table's widows when more
        cdef int32_t keep_sub = widows if widows > 2 else 2
        self.table_r0 = r0
        self.group_open = 0
        self.group_row = r0
        self.tsum = 0
        self.psum = 0
        self.body_rows = 0
        self.measure_carry(t, element)
        self.body_bottom = self.bottom - self.carry_height(t)
        if not self.fresh:
            self.cur_y += self.styles[st, S_BEFORE]
        # keep the header with its first rows (orphans)
        n_first = orphans if orphans < r1 - r0 else r1 - r0
        need = self.header_height(t) + (self.rows_height(t, r0, r0 + n_first, bs, element) if n_first > 0
                                        else self.styles[bs, S_LEADING] + 2 * self.tables[t, T_PADY])
        if gsrc >= 0 and r1 > r0:
            need += self.row_height(t, 3, r0, gs, element)
        if self.cur_y + need > self.body_bottom and not self.fresh:
            self.break_page()
            self.body_bottom = self.bottom - self.carry_height(t)
        self.header(t, element)
        self.fresh_table = 1
        for r in range(r0, r1):
            # widows: when the last rows would be split off alone, take them over together
            if widows > 1 and r1 - r == widows and r > r0 and not self.fresh_table:
                need = self.rows_height(t, r, r1, bs, element)
                if self.cur_y + need > self.body_bottom:
                    self.new_table_page(t, element)
            # keep-together groups move whole when they fit on a page
            if keep >= 0 and not self.fresh_table and (r == r0 or not self.same_key(keep, r, r - 1)):
                r_end = r + 1
                while r_end < r1 and self.same_key(keep, r_end, r):
                    r_end += 1
                need = self.rows_height(t, r, r_end, bs, element)
                if self.cur_y + need > self.body_bottom and \
                        need <= self.body_bottom - self.top - self.header_height(t) - self.carry_height(t):
                    self.new_table_page(t, element)
            if gsrc >= 0 and (r == r0 or not self.same_key(gsrc, r, r - 1)):
                g_end = r + 1
                while g_end < r1 and self.same_key(gsrc, g_end, r):
                    g_end += 1
                # a group header stays with the group's first row (with its whole group and
                # subtotal when the group is no longer than the rows a subtotal keeps)
                need = self.row_height(t, 3, r, gs, element)
                if gflabel >= 0 and g_end - r <= keep_sub:
                    need += self.rows_height(t, r, g_end, bs, element) + self.row_height(t, 6, r, ts, element)
                else:
                    need += self.row_height(t, 1, r, bs, element)
                if self.cur_y + need > self.body_bottom and not self.fresh_table:
                    self.new_table_page(t, element)
                self.row(t, 3, r, gs, element)
                self.gsum = 0
                self.group_open = 1
                self.group_row = r
            elif gflabel >= 0 and g_end - r == keep_sub and not self.fresh_table:
                # a subtotal is never alone on a page: it keeps with its group's last rows
                need = self.rows_height(t, r, g_end, bs, element) + self.row_height(t, 6, r, ts, element)
                if self.cur_y + need > self.body_bottom:
                    self.new_table_page(t, element)
            self.row(t, 1, r, bs, element)
            if gsrc >= 0 and r + 1 == g_end:
                if gflabel >= 0:
                    self.row(t, 6, r, ts, element)
                self.group_open = 0
        if self.tables[t, T_TOTAL]:
            self.row(t, 2, self.doc, self.tables[t, T_TSTYLE], element)
        self.cur_y += self.styles[st, S_AFTER]
