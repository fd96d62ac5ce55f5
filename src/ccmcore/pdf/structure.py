"""Tagged PDF (PDF/UA-1): the structure of each document, from what layout knows.

Layout tags every item with the template element it shows (``DisplayList.struct``): a
paragraph or heading, a table's cell (its row kind, row and column), a figure, or
page-template content. Here that becomes:

- per item its **node**: the structure element its marked content belongs to (a
  paragraph, a heading, a table cell, a figure), or -2 for an artifact (what a reader
  skips: running headers and footers, rules and stripes, a header repeated on a
  continuation page, carried-forward rows, barcodes, decoration without alternative text);
- per document its **structure elements** in reading order, written by the PDF writer
  as the document's pages are (compiled, into object streams: :mod:`ccmcore.pdf._tree`):
  a ``/Part`` holding headings and paragraphs, lists, tables (rows of cells, the header
  row's cells scoped to their columns, every row with one cell per column) and figures
  with their alternative text.

Reading order is the order the document's content first appears: on each page the
page template's content comes before the flow, as a sighted reader takes in a letter's
address before its text; a table's cells come row by row, each row left to right.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..display import STRUCT_FIELDS
from ._content import ROLE_NAMES
from ._nodes import item_nodes as _item_nodes
from ._tree import in_page_order, tree_objects

__all__ = ["Structure", "item_nodes", "NODE_FIELDS", "MCID_FIELDS", "ROLE_NAMES"]

#: columns of a node row: document row, element id, table row kind (-1: not a table's,
#: -2: a list item's bullet), table row (-1: none), table column (-1: none), role (a
#: ROLE_NAMES number). Table row kinds (part - 1 in the kernel's tags): 0 header, 1 body,
#: 2 total, 3 group header, 4 carried forward, 5 brought forward, 6 group subtotal,
#: 7 page subtotal, 8 continued group header; 4, 5, 7 and 8 repeat what the page before
#: said, so are artifacts.
NODE_FIELDS = 6
#: columns of an MCID row: page row, MCID, node row
MCID_FIELDS = 3

_TD = ROLE_NAMES.index("TD")


@dataclass
class Structure:
    """What a tagged PDF needs of a compiled template, per element id.

    Attributes:
        roles: per element its role: a :data:`ROLE_NAMES` structure type, "Table",
            "artifact", or None (draws nothing).
        alts: per element a figure's alternative text (None for others).
        columns: per table element its number of columns.
        lang: the documents' language (BCP 47, ``en-GB``), the catalog's ``/Lang``.
    """

    roles: list
    alts: list
    columns: dict
    lang: str = "en"
    bulleted: tuple = ()  # per element: a paragraph with a bullet, an item of a list
    text: Any = None  # str -> a PDF text string (bytes), set by the writer

    @cached_property
    def tables(self) -> np.ndarray:
        """uint8, per element 1 for a table."""
        return np.array([r == "Table" for r in self.roles], dtype=np.uint8)

    @cached_property
    def role_numbers(self) -> np.ndarray:
        """int64, per element its :data:`ROLE_NAMES` number (a table's: TD), -2 for an
        artifact or an element that draws nothing."""
        return np.array([_role_number(r) for r in self.roles], dtype=np.int64)

    @cached_property
    def listed(self) -> np.ndarray:
        """uint8, per element 1 for a bulleted paragraph (an item of a list)."""
        marks = list(self.bulleted)[: len(self.roles)]
        return np.array(marks + [False] * (len(self.roles) - len(marks)), dtype=np.uint8)

    @cached_property
    def widths(self) -> np.ndarray:
        """int64, per element a table's columns (1 for other elements)."""
        return np.array([self.columns.get(e, 1) for e in range(len(self.roles))], dtype=np.int64)

    @cached_property
    def alt_entries(self) -> list:
        """Per element a figure's ``/Alt`` entry as bytes (empty for others; the writer
        must have set :attr:`text`)."""
        return [self.alt_text(e).encode("ascii") for e in range(len(self.roles))]

    def alt_text(self, element: int) -> str:
        """A figure's ``/Alt`` entry (empty for other elements)."""
        alt = self.alts[element] if element < len(self.alts) else None
        if not alt or self.roles[element] != "Figure":
            return ""
        return "/Alt" + self.text(alt).decode("ascii")

    @classmethod
    def of(cls, program, lang: str = "en") -> Structure:
        """The structure information of a :class:`ccmcore.program.Program`."""
        columns = {}
        for e, role in enumerate(program.roles):
            if role == "Table":
                columns[e] = program.table_columns(e)
        return cls(list(program.roles), list(program.alts), columns, lang, tuple(program.bulleted))


def item_nodes(struct: np.ndarray, pages: np.ndarray, structure: Structure):
    """Per item its node, and the nodes of the display list (compiled:
    :func:`ccmcore.pdf._nodes.item_nodes`).

    Args:
        struct: int32 (n_items, STRUCT_FIELDS), the display list's tags.
        pages: int64 (n_pages, PAGE_FIELDS), its pages.
        structure: the template's :class:`Structure`.

    Returns:
        (nodes int32 (n_items,): node row, -2 artifact; node rows int32 (k, NODE_FIELDS);
        roles int32 (k,): each node's ROLE_NAMES number).
    """
    struct = np.ascontiguousarray(struct, dtype=np.int32).reshape(-1, STRUCT_FIELDS)
    pages = np.ascontiguousarray(pages, dtype=np.int64)
    nodes, rows = _item_nodes(struct, pages, structure.role_numbers, structure.tables, structure.listed)
    return nodes, rows, np.ascontiguousarray(rows[:, 5])


def _role_number(role) -> int:
    if role in ROLE_NAMES:
        return ROLE_NAMES.index(role)
    if role == "Table":
        return _TD
    return -2  # an artifact, or an element that draws nothing


class TreeWriter:
    """Writes a tagged PDF's structure tree as its documents' pages are written: the
    elements of each run of documents at once (:func:`part_objects`),
    the parent tree and the root at the end.

    Args:
        structure: the template's :class:`Structure`.
        alloc: () -> a new object number of the file.
        write: [(object number, body bytes)] -> None, the objects written.
        write_packed: (make) -> None: writes the objects ``make(first_num, sink,
            per_stream)`` numbers from the next free number on and hands to ``sink`` in
            object streams (``make`` returns the next free number, and the place of each
            number made, see :func:`part_objects`).
        text: str -> a PDF text string (bytes).
    """

    def __init__(self, structure: Structure, alloc, write, write_packed, text):
        self.structure = structure
        self._alloc = alloc
        self._write = write
        self._write_packed = write_packed
        self._text = text
        self.root = alloc()  # the StructTreeRoot
        self.document = alloc()  # its one kid, the /Document element
        self._parts: list[int] = []
        self._parents: list[tuple[int, int]] = []  # (page index, its parent array's number)
        structure.text = text

    def add(self, pages, page_objs, page0: int) -> None:
        """The structure of the documents of encoded pages just written.

        Args:
            pages: the :class:`~ccmcore.pdf.writer.PdfPages`.
            page_objs: the file's page object numbers so far (its first ``page0`` were there
                before these pages).
            page0: the file's page index of the pages' first page.
        """
        doc_pages = np.asarray(pages.doc_pages, dtype=np.int64)
        page_nums = np.frombuffer(page_objs, dtype=np.int64)[page0 : page0 + int(doc_pages.sum())]
        langs = np.asarray(getattr(pages, "langs", np.zeros((0, 16))), np.uint8).reshape(-1, 16)
        made = []

        def make(first_num, sink, per_stream):
            langs_of = (
                [bytes(row).rstrip(b"\0").decode("ascii") for row in langs] if len(langs) == len(doc_pages) else None
            )
            next_num, parts, arrays, where = part_objects(
                self.structure,
                pages.nodes,
                pages.mcids,
                doc_pages,
                page_nums,
                first_num,
                self.document,
                langs_of,
                sink,
                per_stream,
            )
            made.append((parts, arrays))
            return next_num, where

        self._write_packed(make)
        parts, arrays = made[0]
        self._parts.extend(parts.tolist())
        self._parents.extend(zip(range(page0, page0 + len(arrays)), arrays.tolist()))

    def finish(self, number_tree) -> bytes:
        """Write the document element, the parent tree and the root; the catalog's entries.

        Args:
            number_tree: [(key, value bytes)] -> the object number of a number tree.
        """
        parent_tree = number_tree([(k, b"%d 0 R" % num) for k, num in self._parents])
        self._write(
            [
                (self.document, b"<</Type/StructElem/S/Document/P %d 0 R/K[%s]>>" % (self.root, _refs(self._parts))),
                (
                    self.root,
                    b"<</Type/StructTreeRoot/K %d 0 R/ParentTree %d 0 R/ParentTreeNextKey %d>>"
                    % (self.document, parent_tree, 1 + max((k for k, _ in self._parents), default=-1)),
                ),
            ]
        )
        return b"/MarkInfo<</Marked true>>/StructTreeRoot %d 0 R/Lang%s/ViewerPreferences<</DisplayDocTitle true>>" % (
            self.root,
            self._text(self.structure.lang),
        )


def part_objects(structure, nodes, mcids, doc_pages, page_nums, first_num: int, document: int, langs, sink, per_stream):
    """The structure elements of a run of documents' pages, numbered from ``first_num``,
    and each page's parent-tree array, put into object streams (compiled:
    :func:`ccmcore.pdf._tree.tree_objects`).

    Args:
        structure: the template's :class:`Structure`.
        nodes, mcids: as :class:`~ccmcore.pdf.writer.PdfPages` has them.
        doc_pages: pages per document.
        page_nums: the pages' object numbers.
        first_num: the first object number to use.
        document: the object number of the /Document element.
        langs: each document's language tag, stated on its part (None: the file's).
        sink: (number, data, count, first) -> None: an object stream (its number, its
            uncompressed data lent for the call, its objects, /First).
        per_stream: objects per object stream (at most).

    Returns:
        (the next free object number; the part elements' numbers; the parent arrays'
        numbers, one per page; per object number from ``first_num`` on its place in the
        streams, as a cross-reference stream has it: ``-(stream number << 16 | index)``,
        0 for an object stream itself).
    """
    nodes = np.ascontiguousarray(nodes, dtype=np.int32).reshape(-1, NODE_FIELDS)
    mcids = np.ascontiguousarray(mcids, dtype=np.int32).reshape(-1, MCID_FIELDS)
    if not in_page_order(mcids):  # a reordered job moved pages
        mcids = np.ascontiguousarray(mcids[np.lexsort((mcids[:, 1], mcids[:, 0]))])
    n_docs = len(doc_pages)
    if langs is None:
        langs = [b""] * n_docs
    else:
        langs = [b"/Lang" + structure.text(v) if v else b"" for v in langs]
    return tree_objects(
        nodes,
        mcids,
        np.ascontiguousarray(doc_pages, dtype=np.int64),
        np.ascontiguousarray(page_nums, dtype=np.int64),
        structure.tables,
        structure.widths,
        structure.alt_entries,
        langs,
        first_num,
        document,
        sink,
        per_stream,
    )


def _refs(nums) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in nums)
