# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: PTOCA presentation text for AFP pages, from display-list item rows, compiled.

One call makes the Presentation Text Data (PTX) structured fields of one page; the page's
whole text, rules and boxes form one presentation text object (the writer wraps them in
BPT/EPT). Positions are L-units (1/1440 inch = 50 millipoints, the display list's unit
divided by 50), measured from the page's top-left corner like the display list's.

Each drawing item becomes one chain of control sequences (PTOCA chapter 4): the first
starts with the escape X'2BD3', odd function types chain the next, and the item's last
control sequence has an even type, so every chain is closed inside the PTX that holds it
(a chain longer than CHAIN_SOFT bytes is closed and a new one begun; a PTX that would
pass 32,752 data bytes is closed before the chain that does not fit).

Text:
* SCFL selects the run's font by a local ID assigned per page (one per font and size;
  the writer maps them with MDR/MCF), SEC sets its RGB colour, AMB/AMI place the pen.
* A run that shows one glyph per character, each the font's cmap glyph of its character
  (BMP only), is written as TRN control sequences carrying UTF-16BE (the MDR maps the font
  with its Unicode cmap). The printer then advances by the font's own widths; where the
  display list's advances differ (kerning, justified spaces) an RMI moves the pen before
  the next glyph, computed from cumulative exact positions, so every glyph lands within
  half an L-unit of its display-list position and rounding never drifts.
* Any other run (ligatures, marks, complex scripts, characters beyond the BMP) is written
  as a glyph run: GLC (font OID), GIR (glyph ids) and GAR (each glyph's absolute offset
  from the run start, in L-units) groups of at most 125 glyphs, closed by a UCT carrying
  the run's text (not rendered; it keeps the text extractable).
* A run in a FOCA coded font is encoded in the coded font's single-byte code page (TRN);
  a character the code page lacks stops the page with an error naming it.

Rules are DIR (horizontal) or DBR (vertical) rules with the line width as rule width,
centred on the line; a rectangle's fill is one DIR as wide as the rectangle is high, its
stroke four rules. Diagonal lines have no PTOCA form: they are skipped and counted.

Image and overlay items draw nothing here: the writer splits a page's items at them,
writes each run of other items as its own presentation text object (``page`` with
``keep_lids`` so the page's font local IDs stay one table) and puts the Include Object
or Include Page Overlay between them, keeping the display list's drawing order.
"""

from libc.stdlib cimport free
from libc.string cimport memmove
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t
from cpython.bytes cimport PyBytes_FromStringAndSize

import numpy as np
cimport cython

# item kinds and columns (K_*, C_*, ITEM_FIELDS), check_bind, rdiv, clamp, grow
from ccmcore._display cimport *

__all__ = ["PtxBuilder"]

cdef enum:
    MAXD = 32752          # data bytes per PTX
    CHAIN_SOFT = 12000    # close a chain and start another beyond this many bytes
    MAX_LIDS = 127        # local IDs X'01'..X'7F' per page
    TRN_UNITS = 126       # UTF-16 code units per TRN (253 data bytes at most)
    TRN_BYTES = 252       # single-byte code points per TRN
    GIR_MAX = 125         # glyphs per GIR/GAR (length 4 + 2n <= 254)
    GLC_MAX = 2000        # glyphs per GLC chain
    OID_LEN = 22          # encoded font OID (see fonts.object_oid)

# error codes page() reports through err_kind
cdef enum:
    E_NONE = 0
    E_UNENCODABLE = 1
    E_TOO_MANY_FONTS = 2
    E_SIZE = 3


@cython.final
cdef class PtxBuilder:
    """Builds the PTX structured fields of pages, batch by batch.

    Font tables are the job's, concatenated over its fonts and addressed by job font
    number ("slot"); the writer rebuilds the builder when a font joins the job.

    Args:
        adv: int32, per job font the advance of each glyph in font units.
        font_off: int64, per job font its start in ``adv`` and ``used``.
        font_len: int32, per job font its glyph count.
        upem: int32, per job font its units per em.
        kind: int8, per job font 0 (TrueType/OpenType, inline) or 1 (FOCA coded font).
        codetab: uint16, per job font 65,536 entries: TrueType: the cmap glyph of each BMP
            code point (0: none); coded font: its byte in the code page (0xFFFF: none).
        widths: int32, per coded font 256 widths in 1/1000 em (-1: use the layout font's
            advance); 256 entries per job font, concatenated.
        used: uint8, per job font a flag per glyph, concatenated like ``adv``; written to.
    """

    cdef const int32_t[::1] adv
    cdef const int64_t[::1] font_off
    cdef const int32_t[::1] font_len
    cdef const int32_t[::1] upem
    cdef const int8_t[::1] kind
    cdef const uint16_t[::1] codetab
    cdef const int32_t[::1] widths
    cdef uint8_t[::1] used
    cdef int nfonts
    # the bound batch
    cdef const int32_t[:, ::1] items
    cdef const uint16_t[::1] gids
    cdef const int32_t[::1] dladv
    cdef const uint8_t[::1] text
    cdef const int32_t[::1] font_map
    cdef bint bound
    # output
    cdef char* buf
    cdef Py_ssize_t cap
    cdef Py_ssize_t pos
    cdef Py_ssize_t ptx_start
    cdef bint chain_open
    cdef Py_ssize_t chain_start
    cdef Py_ssize_t last_type
    # scratch for decoded code points
    cdef uint32_t* cps
    cdef Py_ssize_t cps_cap
    # per page: local IDs
    cdef int32_t lid_font[128]
    cdef int32_t lid_vfs[128]
    cdef int nlids
    cdef int cur_lid
    cdef int32_t cur_color
    cdef int64_t cur_b
    # per page: where GLC chains hold a font OID, to patch once the subset exists
    cdef int64_t* oid_at
    cdef int32_t* oid_font
    cdef Py_ssize_t noid
    cdef Py_ssize_t oid_cap
    # diagnostics
    cdef public int err_kind
    cdef public Py_ssize_t err_item
    cdef public uint32_t err_cp
    cdef public Py_ssize_t skipped

    def __cinit__(self):
        self.buf = NULL
        self.cap = 0
        self.cps = NULL
        self.cps_cap = 0
        self.oid_at = NULL
        self.oid_font = NULL
        self.oid_cap = 0
        self.bound = False
        self.skipped = 0

    def __init__(self, const int32_t[::1] adv, const int64_t[::1] font_off, const int32_t[::1] font_len,
                 const int32_t[::1] upem, const int8_t[::1] kind, const uint16_t[::1] codetab,
                 const int32_t[::1] widths, uint8_t[::1] used):
        cdef int n = font_off.shape[0]
        if font_len.shape[0] != n or upem.shape[0] != n or kind.shape[0] != n:
            raise ValueError("per-font tables differ in length")
        if codetab.shape[0] != n * 65536 or widths.shape[0] != n * 256:
            raise ValueError("codetab needs 65536 and widths 256 entries per font")
        if used.shape[0] != adv.shape[0]:
            raise ValueError("used and adv differ in length")
        self.adv = adv
        self.font_off = font_off
        self.font_len = font_len
        self.upem = upem
        self.kind = kind
        self.codetab = codetab
        self.widths = widths
        self.used = used
        self.nfonts = n

    def __dealloc__(self):
        free(self.buf)
        free(self.cps)
        free(self.oid_at)
        free(self.oid_font)

    def bind(self, const int32_t[:, ::1] items, const uint16_t[::1] gids, const int32_t[::1] advances,
             const uint8_t[::1] text, const int32_t[::1] font_map):
        """Use one display list's arrays for the following :meth:`page` calls.

        The caller has checked them: GLYPHS slices lie inside ``gids``/``advances`` and
        ``text``, and ``font_map[FONT]`` is a job font number.

        Raises:
            ValueError: items does not have 13 columns or gids/advances differ in length.
        """
        check_bind(items.shape[1], gids.shape[0], advances.shape[0])
        self.items = items
        self.gids = gids
        self.dladv = advances
        self.text = text
        self.font_map = font_map
        self.bound = True

    # ------------------------------------------------------------------ buffers

    cdef int reserve(self, Py_ssize_t extra) except -1 nogil:
        cdef Py_ssize_t need = self.pos + extra
        cdef void* p
        if need <= self.cap:
            return 0
        p = grow(self.buf, &self.cap, need, 1 << 16, 1)
        if p == NULL:
            with gil:
                raise MemoryError("PTX buffer")
        self.buf = <char*>p
        return 0

    cdef int reserve_cps(self, Py_ssize_t n) except -1 nogil:
        cdef void* p
        if n <= self.cps_cap:
            return 0
        p = grow(self.cps, &self.cps_cap, n, 1024, sizeof(uint32_t))
        if p == NULL:
            with gil:
                raise MemoryError("code point buffer")
        self.cps = <uint32_t*>p
        return 0

    cdef int note_oid(self, Py_ssize_t at, int32_t slot) except -1 nogil:
        cdef Py_ssize_t cap
        cdef void* p
        if self.noid == self.oid_cap:
            # two arrays, one capacity: recorded once both have grown
            cap = self.oid_cap
            p = grow(self.oid_at, &cap, self.noid + 1, 64, sizeof(int64_t))
            if p == NULL:
                with gil:
                    raise MemoryError("OID offsets")
            self.oid_at = <int64_t*>p
            cap = self.oid_cap
            p = grow(self.oid_font, &cap, self.noid + 1, 64, sizeof(int32_t))
            if p == NULL:
                with gil:
                    raise MemoryError("OID offsets")
            self.oid_font = <int32_t*>p
            self.oid_cap = cap
        self.oid_at[self.noid] = at
        self.oid_font[self.noid] = slot
        self.noid += 1
        return 0

    cdef inline void put1(self, int v) noexcept nogil:
        self.buf[self.pos] = <char>(v & 0xFF)
        self.pos += 1

    cdef inline void put2(self, int64_t v) noexcept nogil:
        self.buf[self.pos] = <char>((v >> 8) & 0xFF)
        self.buf[self.pos + 1] = <char>(v & 0xFF)
        self.pos += 2

    # ------------------------------------------------------------------ PTX and chains

    cdef void open_ptx(self) noexcept nogil:
        cdef char* p = self.buf + self.pos
        p[0] = <char>0x5A
        p[1] = 0
        p[2] = 0
        p[3] = <char>0xD3
        p[4] = <char>0xEE
        p[5] = <char>0x9B
        p[6] = 0
        p[7] = 0
        p[8] = 0
        self.ptx_start = self.pos
        self.pos += 9

    cdef void close_ptx(self, Py_ssize_t end) noexcept nogil:
        cdef Py_ssize_t n = end - self.ptx_start - 1
        self.buf[self.ptx_start + 1] = <char>((n >> 8) & 0xFF)
        self.buf[self.ptx_start + 2] = <char>(n & 0xFF)

    cdef void cs(self, int length, int ftype) noexcept nogil:
        """Start a control sequence: chained to the open chain, or opening a new one."""
        if self.chain_open:
            self.buf[self.last_type] = <char>(self.buf[self.last_type] | 1)
        else:
            self.buf[self.pos] = <char>0x2B
            self.buf[self.pos + 1] = <char>0xD3
            self.chain_start = self.pos
            self.pos += 2
            self.chain_open = True
        self.buf[self.pos] = <char>length
        self.buf[self.pos + 1] = <char>ftype
        self.last_type = self.pos + 1
        self.pos += 2

    cdef void end_chain(self) noexcept nogil:
        """Close the open chain (its last type is even) and keep it inside one PTX."""
        cdef Py_ssize_t n, k
        if not self.chain_open:
            return
        self.chain_open = False
        if self.pos - self.ptx_start - 9 <= MAXD or self.chain_start == self.ptx_start + 9:
            return
        # the chain does not fit: end the PTX before it and move it into a new one
        n = self.pos - self.chain_start
        self.close_ptx(self.chain_start)
        memmove(self.buf + self.chain_start + 9, self.buf + self.chain_start, n)
        for k in range(self.noid):
            if self.oid_at[k] >= self.chain_start:
                self.oid_at[k] += 9
        self.pos = self.chain_start
        self.open_ptx()
        self.pos += n

    cdef void maybe_break(self) noexcept nogil:
        if self.chain_open and self.pos - self.chain_start > CHAIN_SOFT:
            self.end_chain()

    # ------------------------------------------------------------------ state

    cdef int lid_for(self, int32_t slot, int32_t vfs) noexcept nogil:
        cdef int k
        for k in range(self.nlids):
            if self.lid_font[k] == slot and self.lid_vfs[k] == vfs:
                return k + 1
        if self.nlids >= MAX_LIDS:
            return -1
        self.lid_font[self.nlids] = slot
        self.lid_vfs[self.nlids] = vfs
        self.nlids += 1
        return self.nlids

    cdef void set_color(self, int32_t color) noexcept nogil:
        if color < 0:
            color = 0
        if color == self.cur_color:
            return
        self.cs(15, 0x80)
        self.put1(0)        # reserved
        self.put1(0x01)     # RGB
        self.put2(0)        # reserved
        self.put2(0)
        self.put1(8)        # bits per component
        self.put1(8)
        self.put1(8)
        self.put1(0)
        self.put1((color >> 16) & 0xFF)
        self.put1((color >> 8) & 0xFF)
        self.put1(color & 0xFF)
        self.cur_color = color

    cdef void move_to(self, int64_t i, int64_t b) noexcept nogil:
        b = clamp(b, 0, 32767)
        if b != self.cur_b:
            self.cs(4, 0xD2)
            self.put2(b)
            self.cur_b = b
        self.cs(4, 0xC6)
        self.put2(clamp(i, 0, 32767))

    cdef void rule(self, int ftype, int64_t i, int64_t b, int64_t length, int64_t width256) noexcept nogil:
        """A DIR (X'E4') or DBR (X'E6') rule from (i, b): length in L-units, width in 1/256."""
        if length <= 0 or width256 <= 0:
            return
        self.move_to(i, b)
        self.cs(7, ftype)
        self.put2(clamp(length, 1, 32767))
        width256 = clamp(width256, 1, 32767 * 256 + 255)
        self.put2(width256 >> 8)
        self.put1(width256 & 0xFF)

    cdef void hrule(self, int64_t x0, int64_t x1, int64_t top, int64_t bottom) noexcept nogil:
        """A horizontal bar between millipoint edges (x0 < x1, top < bottom)."""
        cdef int64_t i0 = rdiv(x0, 50), i1 = rdiv(x1, 50), b0 = rdiv(top, 50)
        if i1 == i0:
            i1 = i0 + 1
        self.rule(0xE4, i0, b0, i1 - i0, rdiv(bottom * 256, 50) - b0 * 256)

    cdef void vrule(self, int64_t left, int64_t right, int64_t y0, int64_t y1) noexcept nogil:
        """A vertical bar between millipoint edges (left < right, y0 < y1)."""
        cdef int64_t i0 = rdiv(left, 50), b0 = rdiv(y0, 50), b1 = rdiv(y1, 50)
        if b1 == b0:
            b1 = b0 + 1
        self.rule(0xE6, i0, b0, b1 - b0, rdiv(right * 256, 50) - i0 * 256)

    # ------------------------------------------------------------------ text

    cdef Py_ssize_t decode(self, Py_ssize_t t0, Py_ssize_t tn) except -1 nogil:
        """UTF-8 text[t0:t0+tn] into self.cps; returns the number of code points."""
        # locals throughout: extensions build with -fno-strict-aliasing, so every store
        # through a pointer would otherwise reload the object's fields
        cdef const uint8_t* s = &self.text[0] + t0 if self.text.shape[0] else NULL
        cdef Py_ssize_t k = 0, n = 0
        cdef uint32_t c, b0
        cdef uint32_t* out
        self.reserve_cps(tn + 1)
        out = self.cps
        while k < tn:
            b0 = s[k]
            if b0 < 0x80:
                c = b0
                k += 1
            elif b0 < 0xE0 and k + 1 < tn:
                c = ((b0 & 0x1F) << 6) | (s[k + 1] & 0x3F)
                k += 2
            elif b0 < 0xF0 and k + 2 < tn:
                c = ((b0 & 0x0F) << 12) | ((s[k + 1] & 0x3F) << 6) | (s[k + 2] & 0x3F)
                k += 3
            elif k + 3 < tn:
                c = ((b0 & 0x07) << 18) | ((s[k + 1] & 0x3F) << 12) | ((s[k + 2] & 0x3F) << 6) | (s[k + 3] & 0x3F)
                k += 4
            else:
                c = 0xFFFD
                k += 1
            out[n] = c
            n += 1
        return n

    cdef void put_utf16(self, uint32_t c) noexcept nogil:
        if c >= 0x10000:
            c -= 0x10000
            self.put2(0xD800 | (c >> 10))
            self.put2(0xDC00 | (c & 0x3FF))
        else:
            self.put2(c)

    cdef int text_run(self, Py_ssize_t row_i, const int32_t* row) except -1 nogil:
        cdef int32_t slot = self.font_map[row[C_FONT]]
        cdef Py_ssize_t g0 = row[C_G0], gn = row[C_GN], t0 = row[C_T0], tn = row[C_TN]
        cdef int64_t size = row[C_SIZE], x = row[C_X], y = row[C_Y]
        cdef int64_t vfs, size_eff, upem, scale, half, rem, d, i0, nominal, w
        cdef int64_t off = self.font_off[slot]
        cdef int32_t nglyphs = self.font_len[slot]
        cdef const uint16_t* tab = &self.codetab[0] + slot * 65536
        cdef const int32_t* wid = &self.widths[0] + slot * 256
        cdef const int32_t* fadv = &self.adv[0] + off if self.adv.shape[0] else NULL
        cdef uint8_t* used = &self.used[0] + off if self.used.shape[0] else NULL
        cdef const uint16_t* gids = &self.gids[0] + g0 if self.gids.shape[0] else NULL
        cdef const int32_t* adv = &self.dladv[0] + g0 if self.dladv.shape[0] else NULL
        cdef const uint32_t* cps = NULL
        cdef const uint8_t* txt
        cdef Py_ssize_t nc = 0, k, trn_len_at = 0, units = 0, saved_pos, saved_last
        cdef char saved_type
        cdef int lid, fkind = self.kind[slot]
        cdef bint simple, correct
        cdef uint32_t c
        cdef uint16_t gid
        cdef char* buf
        cdef char* p

        if gn <= 0 or size <= 0:
            return 0
        vfs = rdiv(size, 50)
        if vfs < 1 or vfs > 32767:
            self.err_kind = E_SIZE
            self.err_item = row_i
            return -2
        size_eff = vfs * 50
        self.reserve(1024 + 14 * gn + 12 * tn)
        upem = self.upem[slot]
        scale = 1000 * upem
        half = 25 * scale

        lid = self.lid_for(slot, <int32_t>vfs)
        if lid < 0:
            self.err_kind = E_TOO_MANY_FONTS
            self.err_item = row_i
            return -2
        if fkind != 0:
            # coded font: every character must be in the code page (checked before writing)
            nc = self.decode(t0, tn)
            cps = self.cps
            for k in range(nc):
                c = cps[k]
                if c > 0xFFFF or tab[c] == 0xFFFF:
                    self.err_kind = E_UNENCODABLE
                    self.err_item = row_i
                    self.err_cp = c
                    return -2
        if lid != self.cur_lid:
            self.cs(3, 0xF0)
            self.put1(lid)
            self.cur_lid = lid
        self.set_color(row[C_COLOR])
        i0 = rdiv(x, 50)
        self.move_to(i0, rdiv(y, 50))

        if fkind == 0:
            txt = &self.text[0] + t0 if self.text.shape[0] else NULL
            if 8 * gn + 64 <= CHAIN_SOFT:
                # short run: write TRN text while checking it is one cmap glyph per
                # character; on the first mismatch take it back and write a glyph run
                saved_pos = self.pos
                saved_last = self.last_type
                saved_type = self.buf[saved_last]
                if self.trn_tt(txt, tn, gids, adv, gn, tab, fadv, used, nglyphs, x, i0,
                               size_eff * 1000, scale, True) == 0:
                    return 0
                self.pos = saved_pos
                self.last_type = saved_last
                self.buf[saved_last] = saved_type
            nc = self.decode(t0, tn)
            cps = self.cps
            simple = nc == gn
            if simple:
                for k in range(gn):
                    c = cps[k]
                    if c > 0xFFFF or tab[c] != gids[k]:
                        simple = False
                        break
            if simple:
                return self.trn_tt(txt, tn, gids, adv, gn, tab, fadv, used, nglyphs, x, i0,
                                   size_eff * 1000, scale, False)
            for k in range(gn):
                gid = gids[k]
                if gid < nglyphs:
                    used[gid] = 1
            return self.glyph_run(slot, x, gids, adv, gn, nc)

        # coded font, TRN: the printer advances by its font's widths (assumed those of
        # ``widths`` or of the layout font); RMI brings it back on track
        correct = nc == gn
        rem = (i0 * 50 - x) * scale   # printer position minus display-list position
        self.cs(2, 0xDA)
        trn_len_at = self.last_type - 1
        buf = self.buf   # reserved above: no reallocation inside the run
        p = buf + self.pos
        units = 0
        for k in range(nc):
            c = cps[k]
            if k > 0 and correct:
                w = wid[tab[cps[k - 1]]]
                if w >= 0:
                    nominal = w * size_eff * upem
                else:
                    nominal = <int64_t>fadv[gids[k - 1]] * size_eff * 1000 if gids[k - 1] < nglyphs else 0
                rem += nominal - <int64_t>adv[k - 1] * scale
                if rem > half or rem < -half:
                    d = -rdiv(rem, 50 * scale)
                    rem += d * 50 * scale
                    # close this TRN (it holds character k-1), move, open the next
                    p = self.next_trn(p, &trn_len_at, units, True, d, True)
                    units = 0
            if units >= TRN_BYTES:
                p = self.next_trn(p, &trn_len_at, units, False, 0, True)
                units = 0
            p[0] = <char>tab[c]
            p += 1
            units += 1
        buf[trn_len_at] = <char>(2 + units)
        self.pos = p - buf
        self.end_chain()
        return 0

    cdef inline char* next_trn(self, char* p, Py_ssize_t* trn_len_at, Py_ssize_t nbytes, bint rmi,
                               int64_t d, bint may_break) noexcept nogil:
        """Close the open TRN, whose ``nbytes`` of text end at ``p``; with ``rmi`` move the
        pen by ``d`` L-units; open the next TRN. Returns where its text goes (the buffer was
        reserved for the whole run: it does not move)."""
        self.buf[trn_len_at[0]] = <char>(2 + nbytes)
        self.pos = p - self.buf
        if may_break:
            self.maybe_break()
        if rmi:
            self.cs(4, 0xC8)
            self.put2(clamp(d, -32768, 32767))
        self.cs(2, 0xDA)
        trn_len_at[0] = self.last_type - 1
        return self.buf + self.pos

    cdef int trn_tt(self, const uint8_t* s, Py_ssize_t tn, const uint16_t* gids, const int32_t* adv,
                    Py_ssize_t gn, const uint16_t* tab, const int32_t* fadv, uint8_t* used, int32_t nglyphs,
                    int64_t x, int64_t i0, int64_t per_fu, int64_t per_mpt, bint check) except -1 nogil:
        """A TrueType run as TRN (UTF-16BE) with RMI corrections, decoding the UTF-8 text.

        per_fu / per_mpt: one font unit of the printer's advance / one display-list
        millipoint, in the common fixed-point unit (mpt * 1000 * upem).
        With ``check``, returns 1 as soon as a character is not the cmap glyph of its
        glyph (the caller takes back what was written: no chain is broken meanwhile).
        """
        cdef int64_t half = 25 * per_mpt, unit = 50 * per_mpt
        cdef int64_t rem = (i0 * 50 - x) * per_mpt, d
        cdef Py_ssize_t k = 0, ti = 0, units = 0, trn_len_at
        cdef uint32_t c, b0
        cdef uint16_t g
        cdef char* buf
        cdef char* p
        self.cs(2, 0xDA)
        trn_len_at = self.last_type - 1
        buf = self.buf
        p = buf + self.pos
        while ti < tn:
            b0 = s[ti]
            if b0 < 0x80:
                c = b0
                ti += 1
            elif b0 < 0xE0 and ti + 1 < tn:
                c = ((b0 & 0x1F) << 6) | (s[ti + 1] & 0x3F)
                ti += 2
            elif b0 < 0xF0 and ti + 2 < tn:
                c = ((b0 & 0x0F) << 12) | ((s[ti + 1] & 0x3F) << 6) | (s[ti + 2] & 0x3F)
                ti += 3
            else:
                return 1   # beyond the BMP (or broken UTF-8): not a TRN run
            if k >= gn:
                return 1
            g = gids[k]
            if tab[c] != g:
                return 1   # (never without ``check``: the caller checked the whole run)
            used[g] = 1
            if k > 0:
                if rem > half or rem < -half:
                    d = -rdiv(rem, unit)
                    rem += d * unit
                    # close this TRN (it holds character k-1), move, open the next
                    p = self.next_trn(p, &trn_len_at, 2 * units, True, d, not check)
                    units = 0
            if units >= TRN_UNITS:
                p = self.next_trn(p, &trn_len_at, 2 * units, False, 0, not check)
                units = 0
            p[0] = <char>(c >> 8)
            p[1] = <char>(c & 0xFF)
            p += 2
            units += 1
            # where the printer's pen goes next, relative to the display list's
            rem += fadv[g] * per_fu - adv[k] * per_mpt
            k += 1
        if k != gn:
            return 1
        buf[trn_len_at] = <char>(2 + 2 * units)
        self.pos = p - buf
        self.end_chain()
        return 0

    cdef int glyph_run(self, int32_t slot, int64_t x, const uint16_t* gids, const int32_t* adv,
                       Py_ssize_t gn, Py_ssize_t nc) except -1 nogil:
        """GLC / GIR / GAR groups (+ UCT with the text when the run fits one chain)."""
        cdef Py_ssize_t c0, c1, k, g, m
        cdef int64_t cum = 0, start, end_cum, p
        cdef Py_ssize_t utf16_bytes = 0
        cdef bint with_text
        for k in range(nc):
            utf16_bytes += 4 if self.cps[k] >= 0x10000 else 2
        with_text = gn <= GLC_MAX and utf16_bytes <= 8000
        c0 = 0
        while c0 < gn:
            c1 = c0 + GLC_MAX if c0 + GLC_MAX < gn else gn
            if c0 > 0:
                self.end_chain()
                self.move_to(rdiv(x + cum, 50), self.cur_b)
            start = rdiv(x + cum, 50)
            end_cum = cum
            for k in range(c0, c1):
                end_cum += adv[k]
            # GLC: advance after the chain, OID (patched at close), no full font name
            self.cs(10 + OID_LEN, 0x6D)
            self.put2(clamp(rdiv(x + end_cum, 50) - start, -32768, 32767))
            self.put1(OID_LEN)
            self.put1(0)
            self.put2(0)
            self.put2(0)
            self.note_oid(self.pos, slot)
            self.put1(0x06)
            self.put1(OID_LEN - 2)
            for k in range(OID_LEN - 2):
                self.put1(0)
            g = c0
            while g < c1:
                m = c1 - g if c1 - g < GIR_MAX else GIR_MAX
                self.cs(4 + 2 * m, 0x8B)
                self.put2(0)
                for k in range(g, g + m):
                    self.put2(gids[k])
                self.cs(4 + 2 * m, 0x8C)
                self.put2(0)
                for k in range(g, g + m):
                    p = rdiv(x + cum, 50) - start
                    self.put2(clamp(p, 0, 65535))
                    cum += adv[k]
                g += m
            if with_text:
                # UCT: the code points the glyphs show, not rendered (bidi and glyph
                # processing disabled, current inline position kept)
                self.cs(16, 0x6A)
                self.put1(0x01)
                self.put1(0)
                self.put2(utf16_bytes)
                self.put1(0x10)
                self.put1(0)
                self.put1(0x20)
                self.put1(0x20)
                self.put2(0)
                self.put2(0)
                self.put2(0)
                for k in range(nc):
                    self.put_utf16(self.cps[k])
            c0 = c1
        self.end_chain()
        return 0

    # ------------------------------------------------------------------ pages

    def page(self, Py_ssize_t i0, Py_ssize_t n, bint keep_lids=False):
        """The PTX structured fields of the item rows ``i0 .. i0+n`` (b"" if none draws).

        Items other than text, rules and rectangles (images, overlays) draw nothing here:
        the writer places them between presentation text objects, calling ``page`` once
        per run of items between them. ``keep_lids`` continues the local IDs of the
        previous call (the same page, a new presentation text object: text state such as
        the font, colour and baseline starts afresh, the font/size to LID table does not).

        Returns:
            None when the page cannot be written (``err_kind``, ``err_item``, ``err_cp``
            say why: 1 a character outside a coded font's code page, 2 more than 127
            font/size pairs on the page, 3 a font size beyond 32,767 L-units); else
            (ptx, lids, oids): the structured fields; the page's local IDs as packed
            native int32 pairs (job font, vertical font size in L-units), pair k being
            LID k+1 (also a cache key); and None or an int64 array (m, 2) of (offset in
            ``ptx`` of a GLC font OID, job font).

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
            length = self._page(i0, n, keep_lids)
        if length < 0:
            return None
        cdef int32_t pairs[256]
        cdef int k
        for k in range(self.nlids):
            pairs[2 * k] = self.lid_font[k]
            pairs[2 * k + 1] = self.lid_vfs[k]
        lids = PyBytes_FromStringAndSize(<char*>pairs, 8 * self.nlids)
        oids = None
        if self.noid:
            oids = np.empty((self.noid, 2), dtype=np.int64)
            for k in range(self.noid):
                oids[k, 0] = self.oid_at[k]
                oids[k, 1] = self.oid_font[k]
        return PyBytes_FromStringAndSize(self.buf, length), lids, oids

    cdef Py_ssize_t _page(self, Py_ssize_t i0, Py_ssize_t n, bint keep_lids) except -3 nogil:
        cdef Py_ssize_t i
        cdef const int32_t* row
        cdef int32_t kind, fill, stroke
        cdef int64_t x, y, w, h, lw, a, b
        self.pos = 0
        if not keep_lids:
            self.nlids = 0
        self.noid = 0
        self.cur_lid = -1
        self.cur_color = -2
        self.cur_b = -1
        self.chain_open = False
        self.err_kind = E_NONE
        self.reserve(64)
        self.open_ptx()
        for i in range(i0, i0 + n):
            row = &self.items[i, 0]
            kind = row[C_KIND]
            if kind == K_GLYPHS:
                if self.text_run(i, row) == -2:
                    return -1
            elif kind == K_RULE:
                lw = row[C_SIZE]
                if lw <= 0:
                    continue
                self.reserve(128)
                x = row[C_X]
                y = row[C_Y]
                w = row[C_W]
                h = row[C_H]
                if h == 0 and w != 0:
                    a = x if w > 0 else x + w
                    self.set_color(row[C_COLOR])
                    self.hrule(a, a + (w if w > 0 else -w), y - lw // 2, y - lw // 2 + lw)
                elif w == 0 and h != 0:
                    b = y if h > 0 else y + h
                    self.set_color(row[C_COLOR])
                    self.vrule(x - lw // 2, x - lw // 2 + lw, b, b + (h if h > 0 else -h))
                else:
                    self.skipped += 1   # diagonal (or empty) line: no PTOCA form
                    continue
                self.end_chain()
            elif kind == K_RECT:
                x = row[C_X]
                y = row[C_Y]
                w = row[C_W]
                h = row[C_H]
                if w < 0:
                    x += w
                    w = -w
                if h < 0:
                    y += h
                    h = -h
                fill = row[C_COLOR]
                stroke = row[C_COLOR2] if row[C_SIZE] > 0 else -1
                self.reserve(256)
                if fill >= 0 and w > 0 and h > 0:
                    self.set_color(fill)
                    self.hrule(x, x + w, y, y + h)
                    self.end_chain()
                if stroke >= 0:
                    lw = row[C_SIZE]
                    a = lw // 2
                    self.set_color(stroke)
                    # top and bottom span the corners; the sides run between them
                    self.hrule(x - a, x + w - a + lw, y - a, y - a + lw)
                    self.hrule(x - a, x + w - a + lw, y + h - a, y + h - a + lw)
                    self.vrule(x - a, x - a + lw, y - a + lw, y + h - a)
                    self.vrule(x + w - a, x + w - a + lw, y - a + lw, y + h - a)
                    self.end_chain()
            # other kinds (images, overlays) are placed by the writer between text objects
        self.end_chain()
        if self.pos == self.ptx_start + 9:
            return 0
        self.close_ptx(self.pos)
        return self.pos
