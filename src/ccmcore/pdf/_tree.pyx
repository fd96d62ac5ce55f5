# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: a tagged PDF's structure elements for a run of documents, in one compiled pass.

A tagged PDF has about a hundred structure elements a page (every table cell is one), so
they are built here, document by document, straight from the marked-content sequences
the content streams hold (``mcids``: page row, MCID, node row, in page and MCID order)
and the nodes they belong to (``nodes``, see :mod:`ccmcore.pdf.structure`).

Reading order is the order of first appearance: walking a document's marked content in
order, a node seen for the first time becomes a leaf element (a paragraph, heading,
figure, table cell, list label or body), and the containers it needs are made as it
needs them: its table and the table's row, its list item and the list (a run of list
items one after another at the top level is one list), so every container's kids are in
reading order already. Only a table row's cells are put in column order, after the rows
are completed with an empty cell for every column nothing was drawn in.

Each document's objects are numbered one after another: its ``/Part`` first, then its
elements in the order made, then the parent-tree array of each of its pages (the element
of each MCID). They are written straight into object streams (:class:`_Packer`), one
stream's worth at a time in a buffer that stays in the cache, and handed to the writer to
deflate; the numbers of the streams themselves are set aside before each document's.
"""

from libcpp.vector cimport vector
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.memoryview cimport PyMemoryView_FromMemory
from cpython.buffer cimport PyBUF_READ

# put_int, put_str, put_ref
from ccmcore.pdf._digits cimport *
# keymap_reset, keymap_get_or_put
from ccmcore.pdf._keymap cimport *

import numpy as np

__all__ = ["tree_objects", "in_page_order"]

# element kinds
cdef enum:
    E_PART = 0
    E_TABLE = 1
    E_TR = 2
    E_LEAF = 3
    E_EMPTY = 4
    E_L = 5
    E_LI = 6

cdef struct Elem:
    int32_t kind    # E_*
    int32_t parent  # the document's element holding it (-1: the part, held by /Document)
    int32_t role    # a leaf's or empty cell's ROLE_NAMES number; a row's kind
    int32_t col     # a cell's column (a row's cells are sorted by it)
    int32_t width   # a row: its cells when complete
    int32_t extra   # a leaf: its node row; a row: its table element
    int32_t page    # a leaf: the page row of its first MCID

# structure types by role number (ROLE_NAMES) and by element kind, each padded to 8 bytes
# so that one fixed-size copy writes it (a copy of a variable length is a libc call)
cdef char ROLE_S[12][8]
cdef uint8_t ROLE_N[12]
cdef char KIND_S[7][8]
cdef uint8_t KIND_N[7]


cdef void _init_names():
    cdef int k
    for k, name in enumerate((b"/P", b"/H1", b"/H2", b"/H3", b"/H4", b"/H5", b"/H6", b"/TD", b"/TH", b"/Figure",
                              b"/Lbl", b"/LBody")):
        memcpy(ROLE_S[k], <const char*>name, len(name))
        ROLE_N[k] = len(name)
    for k, name in enumerate((b"/Part", b"/Table", b"/TR", b"", b"", b"/L", b"/LI")):
        memcpy(KIND_S[k], <const char*>name, len(name))
        KIND_N[k] = len(name)


_init_names()


cdef inline char* put_name(char* p, const char* padded, Py_ssize_t n) noexcept nogil:
    memcpy(p, padded, 8)
    return p + n

cdef enum:
    ROLE_TD = 7
    ROLE_TH = 8
    ROLE_LBL = 10
    ROLE_LBODY = 11
    ROW_HEADER = 0  # table row kinds (see structure.py): the header row
    ROW_GROUP = 3   # a group header, spanning the table
    ROW_CONT_GROUP = 8

cdef int64_t ROW_BITS = (<int64_t>1 << 40) - 1  # a row's key: (element, kind, row)
cdef const char* SCOPE = b"/A<</O/Table/Scope/Column>>"
cdef const char* ELEM = b"<</S"  # /Type is optional, and a hundred a page cost time to write and inflate


cdef class _Packer:
    """Puts objects into object streams of up to ``cap`` objects and hands each stream,
    when full, to ``sink(number, data, count, first)``: its object number, its uncompressed
    data (the header of object number and offset pairs, then the bodies), how many objects
    it holds, the header's length (its /First). Where each object went is kept: its number
    and ``-(stream number << 16 | index in the stream)``, a cross-reference stream's entry.

    One stream is built at a time, in a buffer that stays in the cache: the bodies are
    written after room for the longest header, the header is put just before them.
    """
    cdef vector[char] buf
    cdef vector[char] head            # the header being built
    cdef Py_ssize_t w                 # the end of the bodies written
    cdef vector[int64_t] nums, starts  # the stream's objects and where each body starts
    cdef vector[int64_t] where         # per number from ``first``: its stream and index
    cdef int64_t first
    cdef vector[int64_t] reserved      # numbers set aside for the streams to come
    cdef size_t taken
    cdef int64_t stream               # this stream's number, -1: none open
    cdef Py_ssize_t cap, head_room
    cdef object sink

    def __cinit__(self, sink, Py_ssize_t cap):
        self.sink = sink
        self.cap = cap
        self.head_room = 44 * cap + 1  # 'number offset ' pairs of at most 20 digits each
        self.buf.resize(self.head_room + 96 * cap)
        self.head.resize(self.head_room)
        self.w = self.head_room
        self.stream = -1
        self.taken = 0

    cdef int64_t reserve(self, Py_ssize_t n, int64_t next_num):
        """Set aside numbers for the streams ``n`` more objects will open; the first number
        for the objects themselves."""
        cdef Py_ssize_t room = self.cap - <Py_ssize_t>self.nums.size() if self.stream >= 0 else 0
        cdef Py_ssize_t k
        if n > room:
            for k in range((n - room + self.cap - 1) // self.cap):
                self.reserved.push_back(next_num)
                next_num += 1
        return next_num

    cdef int next_stream(self) except -1:
        """Hand on the stream built so far and open the next."""
        self.flush()
        if self.taken >= self.reserved.size():  # pragma: no cover - reserve() is called first
            raise AssertionError("an object stream without a number reserved")
        self.stream = self.reserved[self.taken]
        self.taken += 1
        return 0

    cdef inline char* start(self, int64_t num, Py_ssize_t need) except NULL:
        """A pointer to write object ``num``'s body at, with room for ``need`` bytes."""
        if self.stream < 0 or <Py_ssize_t>self.nums.size() == self.cap:
            self.next_stream()
        self.nums.push_back(num)
        self.starts.push_back(self.w - self.head_room)
        if self.w + need + 1 > <Py_ssize_t>self.buf.size():
            self.buf.resize(2 * (self.w + need + 1))
        return self.buf.data() + self.w

    cdef inline void done(self, char* end) noexcept:
        """The body started is written up to ``end``."""
        end[0] = b'\n'
        self.w = end + 1 - self.buf.data()

    cdef int flush(self) except -1:
        """Hand the stream built so far to the sink."""
        cdef Py_ssize_t k, n = self.nums.size(), h = 0
        cdef char* p
        cdef char* base = self.buf.data()
        if self.stream < 0:
            return 0
        if n:
            # the header, built aside and put where it ends at the bodies
            p = self.head.data()
            for k in range(n):
                if k:
                    p[0] = b' '
                    p += 1
                p = put_int(p, self.nums[k])
                p[0] = b' '
                p = put_int(p + 1, self.starts[k])
            p[0] = b'\n'
            p += 1
            h = self.head_room - (p - self.head.data())
            memcpy(base + h, self.head.data(), p - self.head.data())
            for k in range(n):
                self.where[self.nums[k] - self.first] = -((self.stream << 16) | k)
            # lent, not copied: the sink deflates or writes it before it returns
            data = PyMemoryView_FromMemory(base + h, self.w - h, PyBUF_READ)
            try:
                self.sink(self.stream, data, n, self.head_room - h)
            finally:
                data.release()
        self.nums.clear()
        self.starts.clear()
        self.w = self.head_room
        self.stream = -1
        return 0


cdef inline bint spans(int32_t kind) noexcept nogil:
    return kind == ROW_GROUP or kind == ROW_CONT_GROUP


cdef int32_t _add(vector[Elem]& els, vector[int32_t]& edge_parent, vector[int32_t]& edge_child, int32_t kind,
                  int32_t parent, int32_t role, int32_t col, int32_t width, int32_t extra) noexcept:
    """A new container or empty cell of the document, the last kid of ``parent``; its index."""
    cdef Elem el
    el.kind, el.parent, el.role, el.col, el.width, el.extra, el.page = kind, parent, role, col, width, extra, -1
    els.push_back(el)
    edge_parent.push_back(parent)
    edge_child.push_back(<int32_t>els.size() - 1)
    return <int32_t>els.size() - 1


cdef void _slices(vector[int32_t]& at, vector[int32_t]& flat, vector[int32_t]& owner, vector[int32_t]& value,
                  Py_ssize_t n, vector[int32_t]& fill) noexcept:
    """Group ``value`` by ``owner`` (0..n-1), keeping their order: owner k's values are
    ``flat[at[k]:at[k + 1]]`` (``fill``: scratch)."""
    cdef Py_ssize_t q
    at.assign(n + 1, 0)
    for q in range(<Py_ssize_t>owner.size()):
        at[owner[q] + 1] += 1
    for q in range(n):
        at[q + 1] += at[q]
    fill.assign(at.begin(), at.end() - 1)
    flat.resize(owner.size())
    for q in range(<Py_ssize_t>owner.size()):
        flat[fill[owner[q]]] = value[q]
        fill[owner[q]] += 1


cdef void _by_column(vector[int32_t]& kids, Py_ssize_t a, Py_ssize_t b, vector[Elem]& els) noexcept:
    """A row's cells in column order (an insertion sort: a row has a few, mostly in order)."""
    cdef Py_ssize_t i, k
    cdef int32_t kid
    for i in range(a + 1, b):
        kid = kids[i]
        k = i
        while k > a and els[kids[k - 1]].col > els[kid].col:
            kids[k] = kids[k - 1]
            k -= 1
        kids[k] = kid


cdef inline char* _leaf(char* w, Elem& el, int64_t base, vector[Elem]& els, const int64_t* page_nums,
                 const int32_t* mcids, vector[int32_t]& mc_rows, Py_ssize_t a, Py_ssize_t b, const char* alt,
                 Py_ssize_t alt_n, const int64_t* columns) noexcept:
    """A leaf element: its role, parent, first page, marked content (an MCID on its first
    page, a marked-content reference on another), alternative text, table attributes."""
    cdef Py_ssize_t q
    cdef int64_t row, page
    cdef Elem up
    w = put_str(w, ELEM, 4)
    w = put_name(w, ROLE_S[el.role], ROLE_N[el.role])
    w = put_str(w, b"/P ", 3)
    w = put_ref(w, base + el.parent)
    w = put_str(w, b"/Pg ", 4)
    w = put_ref(w, page_nums[el.page])
    if b - a == 1:
        w = put_str(w, b"/K ", 3)
        w = put_int(w, mcids[3 * mc_rows[a] + 1])
    else:
        w = put_str(w, b"/K[", 3)
        for q in range(a, b):
            row = mc_rows[q]
            if q > a:
                w[0] = b' '
                w += 1
            page = mcids[3 * row]
            if page == el.page:
                w = put_int(w, mcids[3 * row + 1])
            else:
                w = put_str(w, b"<</Type/MCR/Pg ", 15)
                w = put_ref(w, page_nums[page])
                w = put_str(w, b"/MCID ", 6)
                w = put_int(w, mcids[3 * row + 1])
                w = put_str(w, b">>", 2)
        w[0] = b']'
        w += 1
    if alt_n:
        w = put_str(w, alt, alt_n)
    up = els[el.parent]
    if el.role == ROLE_TH and up.kind == E_TR:
        w = put_str(w, SCOPE, 27)
    elif up.kind == E_TR and spans(up.role) and columns[up.extra] > 1:
        w = put_str(w, b"/A<</O/Table/ColSpan ", 21)
        w = put_int(w, columns[up.extra])
        w = put_str(w, b">>", 2)
    return put_str(w, b">>", 2)


def in_page_order(const int32_t[:, ::1] mcids) -> bool:
    """Whether MCID rows (page row, MCID, node) are sorted by page, then MCID."""
    cdef Py_ssize_t j
    for j in range(1, mcids.shape[0]):
        if mcids[j, 0] < mcids[j - 1, 0] or (mcids[j, 0] == mcids[j - 1, 0] and mcids[j, 1] <= mcids[j - 1, 1]):
            return False
    return True


def tree_objects(
    const int32_t[:, ::1] nodes,
    const int32_t[:, ::1] mcids,
    const int64_t[::1] doc_pages,
    const int64_t[::1] page_nums,
    const uint8_t[::1] is_table,
    const int64_t[::1] columns,
    list alts,
    list langs,
    int64_t first_num,
    int64_t document,
    sink,
    Py_ssize_t per_stream,
):
    """The structure elements of a run of documents and their pages' parent-tree arrays.

    Args:
        nodes: int32 (k, NODE_FIELDS): document row, element, table row kind, table
            row, table column, role (a ROLE_NAMES number) of each node.
        mcids: int32 (m, MCID_FIELDS): page row, MCID, node row of each marked-content
            sequence, sorted by page and MCID, each page's MCIDs 0, 1, ...
        doc_pages: pages per document.
        page_nums: the pages' object numbers.
        is_table, columns: per template element, 1 for a table; a table's columns.
        alts: per template element its ``/Alt`` entry (bytes, empty for none).
        langs: per document its ``/Lang`` entry (bytes, empty for the file's).
        first_num: the first object number to use.
        document: the object number of the /Document element.
        sink: (number, data, count, first) -> None, given each object stream (see
            :class:`_Packer`); every object is in one.
        per_stream: objects per object stream (at most).

    Returns:
        (the next free object number; int64 the parts' object numbers, one per document;
        int64 the pages' parent-tree array object numbers; int64 per object number from
        ``first_num`` on its place, ``-(stream number << 16 | index in the stream)``, or 0
        for an object stream itself).
    """
    cdef Py_ssize_t n_docs = doc_pages.shape[0], n_pages = page_nums.shape[0]
    cdef Py_ssize_t n_nodes = nodes.shape[0], n_mc = mcids.shape[0], n_el = is_table.shape[0]
    cdef Py_ssize_t d, p, p0, p1, j, j0, i, c, q, n
    cdef int64_t total = 0, base, next_num = first_num, node, e, key
    cdef int32_t part, parent, t, r, li, lst, leaf, last_top, kind
    cdef Elem el
    cdef Elem* ep
    cdef int32_t role, col
    cdef bytes alt, lang
    cdef const char* lang_p
    cdef Py_ssize_t lang_n
    if per_stream < 1 or per_stream > 65535:
        raise ValueError("per_stream: 1 to 65,535 objects")
    if nodes.shape[1] != 6 or mcids.shape[1] != 3:
        raise ValueError("nodes have 6 columns, mcids 3")
    if columns.shape[0] != n_el or len(alts) != n_el or len(langs) != n_docs:
        raise ValueError("columns and alts: one per element; langs: one per document")
    for d in range(n_docs):
        total += doc_pages[d]
    if total != n_pages:
        raise ValueError("doc_pages do not add up to the pages")
    for j in range(n_mc):
        if mcids[j, 0] < 0 or mcids[j, 0] >= n_pages or mcids[j, 2] < 0 or mcids[j, 2] >= n_nodes:
            raise ValueError("an MCID's page or node is out of range")
        if j and (mcids[j, 0] < mcids[j - 1, 0] or (mcids[j, 0] == mcids[j - 1, 0] and mcids[j, 1] != mcids[j - 1, 1] + 1)):
            raise ValueError("mcids are not in page order, each page's numbered 0, 1, ...")
        if (j == 0 or mcids[j, 0] != mcids[j - 1, 0]) and mcids[j, 1] != 0:
            raise ValueError("a page's MCIDs do not start at 0")

    cdef vector[int32_t] node_leaf = vector[int32_t](n_nodes, -1)
    cdef vector[int32_t] doc_table = vector[int32_t](n_el, -1)  # element -> its table in this document
    cdef vector[int32_t] doc_item = vector[int32_t](n_el, -1)  # element -> its list item
    cdef vector[int64_t] touched
    cdef vector[int64_t] row_keys  # (element, kind, row) -> the row, per document
    cdef vector[int32_t] row_els
    cdef vector[Elem] els
    cdef vector[int32_t] edge_parent, edge_child  # kids, in the order made
    cdef vector[int32_t] kid_at, kids  # per element its kids' slice of ``kids``
    cdef vector[int32_t] mc_at, mc_rows  # per element its MCID rows' slice of ``mc_rows``
    cdef vector[int32_t] mc_leaf, mc_idx, scratch
    cdef vector[uint8_t] have
    cdef vector[int32_t] have_at
    cdef _Packer pk = _Packer(sink, per_stream)
    pk.first = first_num
    cdef vector[const char*] alt_at  # the /Alt entries, kept alive by ``alts``
    cdef vector[Py_ssize_t] alt_len
    for e in range(n_el):
        alt = <bytes?>alts[e]
        alt_at.push_back(PyBytes_AS_STRING(alt))
        alt_len.push_back(PyBytes_GET_SIZE(alt))
    cdef char* w
    part_nums_a = np.zeros(n_docs, np.int64)
    array_nums_a = np.zeros(n_pages, np.int64)
    cdef int64_t[::1] part_nums = part_nums_a
    cdef int64_t[::1] array_nums = array_nums_a

    p0 = 0
    j0 = 0
    for d in range(n_docs):
        p1 = p0 + doc_pages[d]
        els.clear()
        edge_parent.clear()
        edge_child.clear()
        mc_leaf.clear()
        j = j0
        while j < n_mc and mcids[j, 0] < p1:
            j += 1
        keymap_reset(row_keys, row_els, j - j0)  # a row has a cell drawn, so an MCID
        for e in touched:
            doc_table[e] = -1
            doc_item[e] = -1
        touched.clear()
        el.kind, el.parent, el.role, el.col, el.width, el.extra, el.page = E_PART, -1, -1, -1, 0, -1, -1
        els.push_back(el)
        part = 0
        last_top = -1
        j = j0
        while j < n_mc and mcids[j, 0] < p1:
            node = mcids[j, 2]
            if node_leaf[node] < 0:
                e = nodes[node, 1]
                kind = <int32_t>nodes[node, 2]
                role = <int32_t>nodes[node, 5]
                col = -1
                if 0 <= e < n_el and is_table[e]:
                    t = doc_table[e]
                    if t < 0:
                        t = _add(els, edge_parent, edge_child, E_TABLE, part, -1, -1, 0, <int32_t>e)
                        doc_table[e] = t
                        touched.push_back(e)
                        last_top = t
                    key = (e << 44) | ((<int64_t>kind & 0xF) << 40) | ((nodes[node, 3] + 1) & ROW_BITS)
                    r = keymap_get_or_put(row_keys, row_els, key, <int32_t>els.size())
                    if r < 0:
                        r = _add(els, edge_parent, edge_child, E_TR, t, kind, -1,
                                 1 if spans(kind) else <int32_t>columns[e], <int32_t>e)
                    parent = r
                    col = <int32_t>nodes[node, 4]
                elif role == ROLE_LBL or role == ROLE_LBODY:
                    li = doc_item[e] if 0 <= e < n_el else -1
                    if li < 0:
                        if last_top >= 0 and els[last_top].kind == E_L:
                            lst = last_top
                        else:
                            lst = _add(els, edge_parent, edge_child, E_L, part, -1, -1, 0, -1)
                            last_top = lst
                        li = _add(els, edge_parent, edge_child, E_LI, lst, -1, -1, 0, -1)
                        if 0 <= e < n_el:
                            doc_item[e] = li
                            touched.push_back(e)
                    parent = li
                else:
                    parent = part
                leaf = <int32_t>els.size()
                els.resize(leaf + 1)  # written in place: a struct copied just after being made stalls
                ep = &els[leaf]
                ep.kind, ep.parent, ep.role, ep.col, ep.width, ep.extra, ep.page = (
                    E_LEAF, parent, role, col, 0, <int32_t>node, <int32_t>mcids[j, 0])
                edge_parent.push_back(parent)
                edge_child.push_back(leaf)
                if parent == part:
                    last_top = leaf
                node_leaf[node] = leaf
            mc_leaf.push_back(node_leaf[node])
            j += 1

        # complete the rows: an empty cell for every column no cell was drawn in
        have_at.assign(els.size() + 1, 0)
        for i in range(<Py_ssize_t>els.size()):
            have_at[i + 1] = have_at[i] + (els[i].width if els[i].kind == E_TR else 0)
        have.assign(have_at[els.size()], 0)
        for q in range(<Py_ssize_t>edge_child.size()):
            i = edge_parent[q]
            c = els[edge_child[q]].col
            if els[i].kind == E_TR and 0 <= c < els[i].width:
                have[have_at[i] + c] = 1
        n = els.size()
        for i in range(n):
            if els[i].kind == E_TR:
                for c in range(els[i].width):
                    if not have[have_at[i] + c]:
                        _add(els, edge_parent, edge_child, E_EMPTY, <int32_t>i,
                             ROLE_TH if els[i].role == ROW_HEADER else ROLE_TD, <int32_t>c, 0, -1)

        # kids per element (in the order made), a row's sorted by column
        _slices(kid_at, kids, edge_parent, edge_child, els.size(), scratch)
        for i in range(<Py_ssize_t>els.size()):
            if els[i].kind == E_TR:
                _by_column(kids, kid_at[i], kid_at[i + 1], els)
        # MCIDs per leaf, in order
        mc_idx.clear()
        for q in range(<Py_ssize_t>mc_leaf.size()):
            mc_idx.push_back(<int32_t>(j0 + q))
        _slices(mc_at, mc_rows, mc_leaf, mc_idx, els.size(), scratch)

        # the objects: the elements, then the pages' arrays
        lang = <bytes?>langs[d]
        lang_p, lang_n = PyBytes_AS_STRING(lang), PyBytes_GET_SIZE(lang)
        n = els.size()
        base = pk.reserve(n + p1 - p0, next_num)
        next_num = base + n + p1 - p0
        pk.where.resize(next_num - first_num)
        part_nums[d] = base
        for i in range(n):
            el = els[i]
            if el.kind == E_LEAF:
                e = nodes[el.extra, 1]
                c = alt_len[e] if 0 <= e < n_el else 0
                w = pk.start(base + i, 192 + 64 * (mc_at[i + 1] - mc_at[i]) + c)
                w = _leaf(w, el, base, els, &page_nums[0], &mcids[0, 0], mc_rows, mc_at[i], mc_at[i + 1],
                          alt_at[e] if c else NULL, c, &columns[0])
            elif el.kind == E_EMPTY:
                w = pk.start(base + i, 96)
                w = put_str(w, ELEM, 4)
                w = put_name(w, ROLE_S[el.role], 3)  # /TH or /TD
                w = put_str(w, b"/P ", 3)
                w = put_ref(w, base + el.parent)
                if el.role == ROLE_TH:
                    w = put_str(w, SCOPE, 27)
                w = put_str(w, b">>", 2)
            else:
                c = lang_n if el.kind == E_PART else 0
                w = pk.start(base + i, 96 + 24 * (kid_at[i + 1] - kid_at[i]) + c)
                w = put_str(w, ELEM, 4)
                w = put_name(w, KIND_S[el.kind], KIND_N[el.kind])
                w = put_str(w, b"/P ", 3)
                w = put_ref(w, document if el.kind == E_PART else base + el.parent)
                if c:
                    w = put_str(w, lang_p, c)
                w = put_str(w, b"/K[", 3)
                for q in range(kid_at[i], kid_at[i + 1]):
                    if q > kid_at[i]:
                        w[0] = b' '
                        w += 1
                    w = put_ref(w, base + kids[q])
                w = put_str(w, b"]>>", 3)
            pk.done(w)
        j = j0
        for p in range(p0, p1):
            array_nums[p] = base + n + (p - p0)
            c = 0
            while j + c < n_mc and mcids[j + c, 0] == p:
                c += 1
            w = pk.start(base + n + (p - p0), 8 + 24 * c)
            w[0] = b'['
            w += 1
            for q in range(j, j + c):
                if q > j:
                    w[0] = b' '
                    w += 1
                w = put_ref(w, base + node_leaf[mcids[q, 2]])
            w[0] = b']'
            pk.done(w + 1)
            j += c
        p0 = p1
        j0 = j
    pk.flush()
    where_a = np.empty(pk.where.size(), np.int64)
    cdef int64_t[::1] where_v = where_a
    if pk.where.size():
        memcpy(&where_v[0], pk.where.data(), pk.where.size() * sizeof(int64_t))
    return next_num, part_nums_a, array_nums_a, where_a
