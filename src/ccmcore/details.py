"""Header and detail records: line items that arrive as a source of their own.

The usual CCM extract gives one file of documents (invoices: number, customer, totals)
and one of their lines (items: invoice number, description, amount). :func:`nest_details`
joins them while both are read, batch by batch: each header record gets a list column
holding its detail records (every detail column but the key), the shape a
:class:`~ccmcore.Table` reads. Nothing is held but the detail rows of the header batch
being joined, so a job of millions of documents joins in the memory of one batch.

Both sources must be sorted by the key, ascending, in the key column's own order (numbers
as numbers, text as text: ``"10"`` comes before ``"9"``; declare a numeric key column's
type to sort it as a number), each header key once. A key out of order in either source is
an error naming the source and the key; a detail whose key matches no header is left out,
counted and named (:attr:`Source.unmatched_details`, the first keys in
:attr:`Source.unmatched_keys`; a job reports them); a header without details gets an empty list.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_values import from_numpy, to_numpy
from .errors import BindingError, SourceError
from .sources import Source

__all__ = ["nest_details", "UNMATCHED_KEYS_KEPT"]

#: How many keys of unmatched detail records a job keeps to name them in its report.
UNMATCHED_KEYS_KEPT = 20


def _key_type(source: Source, key: str, what: str) -> pa.DataType:
    if key not in source.schema.names:
        raise BindingError(
            f"the join key {key!r} is not a column of the {what} {source.name} "
            f"(columns: {', '.join(source.schema.names)})",
            "join",
            key,
        )
    return source.schema.field(key).type


def nest_details(headers: Source, details: Source, key: str, items: str = "items") -> Source:
    """The header records with their detail records nested in a list column ``items``.

    Args:
        headers: one record per document, sorted by ``key`` (each key once).
        details: the documents' lines, sorted by ``key``.
        key: the column both sources hold that ties a detail to its header.
        items: the name of the new list<struct> column (a Table's ``source``).

    Returns:
        a :class:`Source` of the joined batches (``unmatched_details`` counts the detail
        records left out for want of a header, once it has been read; ``unmatched_keys``
        holds the first of their keys).

    Raises:
        BindingError: the key is missing from a source, its types differ, or the header
            source already has a column named ``items``.
        SourceError: (while reading) a key out of order or repeated in the headers, or a
            null key.
    """
    header_type, detail_type = _key_type(headers, key, "header source"), _key_type(details, key, "detail source")
    if header_type != detail_type:
        raise BindingError(
            f"the join key {key!r} is {header_type} in {headers.name} but {detail_type} in {details.name}: "
            "declare one type for both",
            "join",
            key,
        )
    if items in headers.schema.names:
        raise BindingError(f"the header source {headers.name} already has a column {items!r}", "join", items)
    fields = [f for f in details.schema if f.name != key]
    item_type = pa.list_(pa.struct(fields))
    schema = headers.schema.append(pa.field(items, item_type))
    joined = Source(
        schema,
        lambda: _join(headers, details, key, fields, item_type, joined),
        batch_size=headers.batch_size,
        num_rows=headers.num_rows,
        name=headers.name,
        close=lambda: _close_both(headers, details),
    )
    return joined


def _close_both(headers: Source, details: Source) -> None:
    headers.close()
    details.close()


class _Ordered:
    """The keys of one source as they are read, checked to ascend."""

    def __init__(self, name: str, key: str, strict: bool):
        self.name, self.key, self.strict = name, key, strict
        self.last: pa.Array | None = None  # the last key read, as a one-value array

    def check(self, keys: pa.Array) -> None:
        if keys.null_count:
            raise SourceError(f"{self.name}: a record has no {self.key!r} (a null join key)")
        if len(keys) == 0:
            return
        previous = keys if self.last is None else pa.concat_arrays([self.last, keys])
        before, after = previous[:-1], previous[1:]
        bad = pc.greater_equal(before, after) if self.strict else pc.greater(before, after)
        if pc.any(bad).as_py():
            i = int(np.flatnonzero(to_numpy(bad))[0])
            a, b = before[i].as_py(), after[i].as_py()
            how = "twice" if a == b else f"after {a!r}"
            hint = ""
            if isinstance(a, str) and isinstance(b, str) and a.isdigit() and b.isdigit() and a != b:
                # sorted as numbers, read as text: say how to read them as numbers
                hint = (
                    f"; as text {b!r} comes before {a!r}: to sort the key as a number, declare its type "
                    f"(schema={{{self.key!r}: 'int64'}}, --schema)"
                )
            raise SourceError(
                f"{self.name}: {self.key} {b!r} comes {how}: header and detail records must be sorted by "
                f"{self.key!r} (ascending{', each header once' if self.strict else ''}){hint}"
            )
        self.last = keys[-1:]


def _join(
    headers: Source, details: Source, key: str, fields: list, item_type: pa.DataType, joined: Source
) -> Iterator[pa.RecordBatch]:
    joined.unmatched_details, joined.unmatched_keys = 0, []  # counted afresh on each reading
    head_order = _Ordered(headers.name, key, strict=True)
    detail_order = _Ordered(details.name, key, strict=False)
    detail_batches = iter(details)
    pending: list[pa.RecordBatch] = []  # detail rows read but not yet joined
    exhausted = False
    names = [f.name for f in fields]
    for batch in headers:
        if batch.num_rows == 0:  # nothing to join (and no last key to read up to)
            continue
        keys = batch.column(key)
        head_order.check(keys)
        last = keys[-1]
        # read details until one lies beyond this batch's last key
        while not exhausted and (not pending or pc.less_equal(pending[-1].column(key)[-1], last).as_py()):
            try:
                more = next(detail_batches)
            except StopIteration:
                exhausted = True
                break
            detail_order.check(more.column(key))
            pending.append(more)
        rows = pa.Table.from_batches(pending, schema=details.schema) if pending else details.schema.empty_table()
        rows = rows.combine_chunks()
        mine = pc.less_equal(rows.column(key), last)
        cut = int(pc.sum(mine.cast(pa.int64())).as_py() or 0)  # sorted: a prefix of the rows
        now, later = rows.slice(0, cut), rows.slice(cut)
        pending = later.to_batches() if later.num_rows else []
        where = pc.index_in(now.column(key), value_set=keys)
        matched = pc.is_valid(where)
        unmatched = len(where) - int(pc.sum(matched.cast(pa.int64())).as_py() or 0)
        if unmatched:
            _unmatched(joined, now.column(key).filter(pc.invert(matched)))
            now, where = now.filter(matched), where.filter(matched)
        counts = np.bincount(to_numpy(where).astype(np.int64), minlength=len(keys))
        offsets = np.zeros(len(keys) + 1, np.int32)
        np.cumsum(counts, out=offsets[1:])
        struct = pa.StructArray.from_arrays([now.column(n).combine_chunks() for n in names], fields=fields)
        nested = pa.ListArray.from_arrays(from_numpy(offsets), struct, type=item_type)
        yield pa.RecordBatch.from_arrays([*batch.columns, nested], schema=joined.schema)
    # details beyond the last header have none
    for more in [*pending, *detail_batches]:
        detail_order.check(more.column(key))
        _unmatched(joined, more.column(key))


def _unmatched(joined: Source, keys: pa.Array) -> None:
    """Count detail records no header claims, and keep the first few keys to name them."""
    joined.unmatched_details += len(keys)
    room = UNMATCHED_KEYS_KEPT - len(joined.unmatched_keys)
    if room > 0:
        for k in pc.unique(keys).to_pylist():
            if room > 0 and k not in joined.unmatched_keys:
                joined.unmatched_keys.append(k)
                room -= 1
