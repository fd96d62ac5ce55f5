# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Internal: the page objects and content stream objects of a run of documents, in one
compiled pass.

Per document a marker comment line, then per page its /Page object and its content
stream object, and the object of the page's stamp stream when it has one, all into one
buffer. The writer keeps the object table and the page tree; this pass numbers the new
objects from where the table ends and returns their offsets. A new page-tree leaf is
allocated before every ``fanout``-th page (its object is written at close).
"""

from libc.string cimport memcpy
from libc.stdint cimport int64_t
from cpython.bytearray cimport PyByteArray_AS_STRING

# put_int, put_str
from ccmcore.pdf._digits cimport *

import numpy as np

__all__ = ["page_objects"]


cdef inline Py_ssize_t put(char* buf, const char* s, Py_ssize_t n) noexcept nogil:
    memcpy(buf, s, n)
    return n


cdef inline Py_ssize_t put_stream(char* buf, int64_t num, const unsigned char* data, Py_ssize_t n, bint compressed) noexcept nogil:
    """``NUM 0 obj <</Length N[/Filter/FlateDecode]>> stream ... endstream endobj``."""
    cdef Py_ssize_t w = put_int(buf, num) - buf
    w += put(buf + w, b" 0 obj\n<</Length ", 17)
    w = put_int(buf + w, n) - buf
    if compressed:
        w += put(buf + w, b"/Filter/FlateDecode", 19)
    w += put(buf + w, b">>\nstream\n", 10)
    memcpy(buf + w, data, n)
    w += n
    w += put(buf + w, b"\nendstream\nendobj\n", 18)
    return w


def page_objects(
    const int64_t[:] records,
    const int64_t[:] doc_pages,
    const int64_t[:] box_of_page,
    list boxes,
    const unsigned char[:] content,
    const int64_t[:] stream_start,
    const int64_t[:] stream_len,
    list stamps,
    int64_t first_num,
    int64_t page_objs,
    int64_t leaf,
    int64_t resources,
    int64_t pos,
    bint compressed,
    int64_t fanout,
    bint tagged=False,
):
    """Write the objects of a run of documents.

    Args:
        records, doc_pages: per document its record number and page count.
        box_of_page: per page its index in ``boxes`` (each a ``[0 0 W H]`` MediaBox).
        content, stream_start, stream_len: the pages' content streams, encoded.
        stamps: per page its stamp stream (encoded) or None; or None for no stamps.
        first_num: the first new object number.
        page_objs: pages in the file before these.
        leaf: the current page-tree leaf's object number.
        resources: the resource dictionary's object number.
        pos: the file offset the buffer starts at.
        compressed: the streams are FlateDecode.
        fanout: pages per page-tree leaf.
        tagged: give each page ``/StructParents`` its 0-based index in the file (its key
            in a tagged PDF's parent tree).

    Returns:
        (bytearray of the objects; int64 offsets of the new objects from ``first_num``
        on, 0 for new leaves; int64 object number of each page; int64 new leaves; int64
        file offset and int64 length of each document's bytes; the leaf after the run).
    """
    cdef Py_ssize_t n_docs = records.shape[0], n_pages = stream_len.shape[0]
    cdef Py_ssize_t d, k, p = 0, w = 0, i, n_stamps = 0
    cdef Py_ssize_t bound = 0, stamp_bytes = 0
    cdef int64_t num = first_num, pnum, total = 0
    cdef const unsigned char[:] extra
    cdef bytes box
    for d in range(n_docs):
        total += doc_pages[d]
    if total != n_pages:
        raise ValueError("a document's page slice lies outside the pages")
    for k in range(n_pages):
        bound += stream_len[k]
    if stamps is not None:
        if len(stamps) != n_pages:
            raise ValueError("stamps: one entry per page")
        for k in range(n_pages):
            if stamps[k] is not None:
                stamp_bytes += len(stamps[k])
                n_stamps += 1
    for b in boxes:
        if len(b) > 64:
            raise ValueError("a MediaBox is longer than 64 bytes")
    # an object header, numbers of at most 20 digits, the fixed text around them
    bound += stamp_bytes + n_pages * 400 + n_stamps * 120 + n_docs * 48
    out = bytearray(bound)
    cdef char* buf = PyByteArray_AS_STRING(out)
    n_objects = n_pages * 2 + n_stamps + (n_pages + fanout - 1) // fanout + 1
    offsets_a = np.zeros(n_objects, np.int64)
    cdef int64_t[:] offsets = offsets_a
    page_num_a = np.zeros(n_pages, np.int64)
    cdef int64_t[:] page_num = page_num_a
    leaves_a = np.zeros((n_pages + fanout - 1) // fanout + 1, np.int64)
    cdef int64_t[:] leaves = leaves_a
    cdef Py_ssize_t n_leaves = 0
    doc_at_a = np.zeros(n_docs, np.int64)
    doc_len_a = np.zeros(n_docs, np.int64)
    cdef int64_t[:] doc_at = doc_at_a
    cdef int64_t[:] doc_len = doc_len_a
    cdef Py_ssize_t start
    cdef bint has_stamp
    for d in range(n_docs):
        start = w
        w += put(buf + w, b"%ccmcore-document ", 18)
        w = put_int(buf + w, records[d]) - buf
        buf[w] = b'\n'
        w += 1
        for k in range(p, p + doc_pages[d]):
            if page_objs % fanout == 0:
                leaf = num
                leaves[n_leaves] = num
                n_leaves += 1
                offsets[num - first_num] = 0
                num += 1
            pnum = num
            num += 2
            page_objs += 1
            page_num[k] = pnum
            has_stamp = stamps is not None and stamps[k] is not None
            offsets[pnum - first_num] = pos + w
            w = put_int(buf + w, pnum) - buf
            w += put(buf + w, b" 0 obj\n<</Type/Page/Parent ", 27)
            w = put_int(buf + w, leaf) - buf
            w += put(buf + w, b" 0 R/MediaBox", 13)
            box = boxes[box_of_page[k]]
            w += put(buf + w, box, len(box))
            w += put(buf + w, b"/Resources ", 11)
            w = put_int(buf + w, resources) - buf
            if tagged:
                w += put(buf + w, b" 0 R/StructParents ", 19)
                w = put_int(buf + w, page_objs - 1) - buf
                w += put(buf + w, b"/Tabs/S/Contents ", 17)
            else:
                w += put(buf + w, b" 0 R/Contents ", 14)
            if has_stamp:
                buf[w] = b'['
                w += 1
            w = put_int(buf + w, pnum + 1) - buf
            w += put(buf + w, b" 0 R", 4)
            if has_stamp:
                buf[w] = b' '
                w += 1
                w = put_int(buf + w, pnum + 2) - buf
                w += put(buf + w, b" 0 R]", 5)
            w += put(buf + w, b">>\nendobj\n", 10)
            offsets[pnum + 1 - first_num] = pos + w
            w += put_stream(buf + w, pnum + 1, &content[0] + stream_start[k] if stream_len[k] else NULL, stream_len[k], compressed)
            if has_stamp:
                num += 1
                extra = stamps[k]
                offsets[pnum + 2 - first_num] = pos + w
                w += put_stream(buf + w, pnum + 2, &extra[0] if extra.shape[0] else NULL, extra.shape[0], compressed)
        p += doc_pages[d]
        doc_at[d] = pos + start
        doc_len[d] = w - start
    if w > bound:  # pragma: no cover - the bound above is generous
        raise AssertionError("page_objects overran its buffer")
    del out[w:]
    return out, offsets_a[: num - first_num], page_num_a, leaves_a[:n_leaves], doc_at_a, doc_len_a, leaf

