# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: the structure node of every item of a display list (tagged PDF), in one
compiled pass over its tags.

An item's node is the structure element its marked content belongs to: its template
element, and for a table cell its row kind, row and column; for a bulleted paragraph
whether it is the bullet (the list item's label) or the text (its body). Items of one
node share it; nodes are numbered per display list in the order they first appear.
An item a reader skips is an artifact (-2): decoration, a table header repeated on a
continuation page, the rows pagination adds (carried and brought forward, page
subtotals, a group header repeated), barcodes, and elements with no role.
"""

from libcpp.vector cimport vector
from libc.stdint cimport int32_t, int64_t, uint8_t

# keymap_reset, keymap_get_or_put
from ccmcore.pdf._keymap cimport *

# PG_DOC, PG_I0, PG_IN, TAG_*
from ccmcore._display cimport *

import numpy as np

__all__ = ["item_nodes"]

cdef enum:
    ROLE_TD = 7
    ROLE_TH = 8
    ROLE_LBL = 10
    ROLE_LBODY = 11
    # the bits of a node's key: element, kind + 2, column + 1, row + 1
    KEY_ELEMENT = 19
    KEY_KIND = 5
    KEY_COL = 12
    KEY_ROW = 27


cdef inline bint pagination_row(int64_t kind) noexcept nogil:
    """A table row that repeats what the page before said (carried forward, brought
    forward, page subtotal, continued group header)."""
    return kind == 4 or kind == 5 or kind == 7 or kind == 8


def item_nodes(
    const int32_t[:, ::1] struct,
    const int64_t[:, ::1] pages,
    const int64_t[::1] roles,
    const uint8_t[::1] is_table,
    const uint8_t[::1] listed,
):
    """Per item its node (-2: an artifact), and the nodes.

    Args:
        struct: int32 (n_items, STRUCT_FIELDS), the display list's tags.
        pages: int64 (n_pages, PAGE_FIELDS), its pages.
        roles: per template element its ROLE_NAMES number (a table's: that of its cells),
            negative for an artifact or an element that draws nothing.
        is_table, listed: per element 1 for a table; 1 for a bulleted paragraph.

    Returns:
        (int32 (n_items,) each item's node row or -2; int32 (k, NODE_FIELDS) the nodes:
        document row, element, table row kind (-1: not a table's, -2: a list item's
        label), table row (-1: none), table column (-1: none), ROLE_NAMES number).
    """
    cdef Py_ssize_t n = struct.shape[0], n_el = roles.shape[0], p, i
    cdef int64_t doc = -1, e, part, kind, row, col, role, key, last_key = -1
    cdef int32_t node, last_node = -1
    cdef bint table, bullet, artifact, listed_el
    cdef vector[int64_t] seen_keys  # a node's key -> the node, per document
    cdef vector[int32_t] seen_nodes
    cdef Py_ssize_t q, doc_items
    cdef Py_ssize_t k = 0
    if struct.shape[1] != 4:
        raise ValueError("struct: 4 columns")
    if is_table.shape[0] != n_el or listed.shape[0] != n_el:
        raise ValueError("roles, is_table and listed: one per element")
    if n_el >= (1 << KEY_ELEMENT):
        raise ValueError("too many template elements to tag")
    nodes_a = np.full(n, -2, np.int32)
    cdef int32_t[::1] nodes = nodes_a
    # at most a node an item; pages of memory never written are never touched
    out_a = np.empty((n, 6), np.int32)
    cdef int32_t[:, ::1] out = out_a
    for p in range(pages.shape[0]):
        if pages[p, PG_I0] < 0 or pages[p, PG_IN] < 0 or pages[p, PG_I0] + pages[p, PG_IN] > n:
            raise ValueError("a page's items lie outside the display list")
        if pages[p, PG_DOC] != doc:  # a node is a document's: start afresh
            doc = pages[p, PG_DOC]
            doc_items = 0
            q = p
            while q < pages.shape[0] and pages[q, PG_DOC] == doc:
                doc_items += pages[q, PG_IN]
                q += 1
            keymap_reset(seen_keys, seen_nodes, doc_items)
            last_key = -1
        for i in range(pages[p, PG_I0], pages[p, PG_I0] + pages[p, PG_IN]):
            e = struct[i, 0]
            part = struct[i, 1]
            if e < 0 or e >= n_el:
                continue
            role = roles[e]
            kind = (part & 0xF) - 1
            table = is_table[e]
            listed_el = listed[e]
            if table:
                role = ROLE_TH if kind == 0 else ROLE_TD
            artifact = role < 0 or (part & (TAG_DECOR | TAG_REPEAT | TAG_BARCODE)) != 0
            bullet = listed_el and (part & TAG_BULLET) != 0
            if listed_el and not artifact:
                role = ROLE_LBL if bullet else ROLE_LBODY
            if artifact or (table and pagination_row(kind)):
                continue
            if table:
                row, col = struct[i, 2], struct[i, 3]
            else:
                kind = -2 if bullet else -1
                row, col = -1, -1
            if row + 1 >= (1 << KEY_ROW) or col + 1 >= (1 << KEY_COL) or row < -1 or col < -1:
                raise ValueError("a table row or column is out of the range tagging supports")
            key = ((((e << KEY_KIND) | (kind + 2)) << KEY_COL | (col + 1)) << KEY_ROW) | (row + 1)
            if key == last_key:  # the items of a run mostly share their node
                nodes[i] = last_node
                continue
            node = keymap_get_or_put(seen_keys, seen_nodes, key, <int32_t>k)
            if node < 0:
                node = <int32_t>k
                out[k, 0], out[k, 1], out[k, 2] = <int32_t>doc, <int32_t>e, <int32_t>kind
                out[k, 3], out[k, 4], out[k, 5] = <int32_t>row, <int32_t>col, <int32_t>role
                k += 1
            nodes[i] = node
            last_key, last_node = key, node
    return nodes_a, out_a[:k]
