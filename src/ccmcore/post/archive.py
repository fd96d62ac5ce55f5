"""Archive index: the print file's documents for IBM Content Manager OnDemand (CMOD).

    write_cmod_index(report.manifest, "statements.afp", "statements.afp.ind", fields={"account": "key"})

CMOD's generic indexer loads a file of any format given a parameter file that lists, per
document, its index values and where its bytes lie. The file is text, one ``NAME:value``
line each: a ``CODEPAGE:`` line first (the code page the index values are written in),
then per document (a *group*) its fields as ``GROUP_FIELD_NAME:``/``GROUP_FIELD_VALUE:``
pairs, then ``GROUP_OFFSET:`` and ``GROUP_LENGTH:`` (the document's byte range in the
file; a length of 0 would mean the whole file) and last ``GROUP_FILENAME:`` (the file the
bytes are in, which closes the group)::

    CODEPAGE:1208
    GROUP_FIELD_NAME:account
    GROUP_FIELD_VALUE:12345
    GROUP_FIELD_NAME:postcode
    GROUP_FIELD_VALUE:20457
    GROUP_OFFSET:0
    GROUP_LENGTH:1234
    GROUP_FILENAME:statements.afp

The values come from the job's manifest: its columns (``key``, ``record``, ``pages``, ...)
and the template's index tags (its ``index`` column). The byte ranges are the manifest's
``offset`` and ``length``: a PDF document runs from its ``%ccmcore-document`` line to the
end of its last page, an AFP document is its page group (BNG ... ENG); the rest of the
file (a PDF's fonts and cross-reference table, an AFP file's resource group) is in no
group. Every group names its file, although the format lets a blank name repeat the one
before: each group then stands on its own.
"""

from __future__ import annotations

import codecs
import os
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import EMPTY_STRING, map_first, scalar, to_numpy
from ..output import write_bytes_atomically

__all__ = ["write_cmod_index", "CMOD_CODEPAGES", "CMOD_MAX_FIELDS"]

#: IBM code page (CCSID) -> Python codec, for the code pages an index file can be written in
#: (those of CMOD's multiplatform servers; their files are ASCII-based, lines end in LF)
CMOD_CODEPAGES = {
    1208: "utf-8",
    367: "ascii",
    819: "latin-1",
    923: "iso8859-15",
    912: "iso8859-2",
    1252: "cp1252",
    1250: "cp1250",
    850: "cp850",
    858: "cp858",
    437: "cp437",
}

#: index fields a CMOD document may have
CMOD_MAX_FIELDS = 128

# what cannot stand in a one-line value: line breaks (also U+2028/9) and every other control character
_NOT_ONE_LINE = r"[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]"
_NOT_ONE_LINE_PY = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def write_cmod_index(
    manifest: pa.Table,
    print_file: str | os.PathLike,
    path: str | os.PathLike,
    *,
    fields: list[str] | dict[str, str] | None = None,
    codepage: int = 1208,
) -> int:
    """Write CMOD's generic index file for a print file: one group per rendered document,
    in the order of the file.

    Args:
        manifest: the job's manifest (:data:`ccmcore.merge.MANIFEST_SCHEMA`); its rows with
            status "rendered" are the documents.
        print_file: the print file, written as given in every ``GROUP_FILENAME:`` line
            (CMOD reads a relative name from the directory it loads in).
        path: the index file to write (through a temporary file beside it and a rename:
            whole or not at all).
        fields: the index fields: names that are each a manifest column (``key``,
            ``record``, ``pages``, ``sheets``, ``first_page``, ...) or else an index tag of
            the documents; or a dict of CMOD field name -> such a name. None: the ``key``
            column (unless no document has a key) and every index tag, in the order the
            documents name them.
        codepage: the IBM code page of the file (a key of :data:`CMOD_CODEPAGES`; 1208 is
            UTF-8), written on its ``CODEPAGE:`` line.

    Returns:
        The number of groups (documents) written.

    Raises:
        ValueError: an unknown code page; a field that is neither a manifest column nor an
            index tag, more than :data:`CMOD_MAX_FIELDS` fields, or a field name twice; or
            a value (or name) that is missing, does not fit on one line, or cannot be
            written in the code page (the message names the record and the field).
        OutputError: the file cannot be written (the message names it and the cause).
    """
    codec = _codec(codepage)
    filename = os.fsdecode(os.fspath(print_file))
    _check_text(filename, codec, codepage, "the print file's name")
    rows = manifest.filter(pc.equal(manifest.column("status"), scalar("rendered")))
    if rows.num_rows and rows.column("offset").null_count:
        raise ValueError("the manifest lists a rendered document without offset: it is not a merged job's manifest")
    rows = rows.sort_by("offset")
    index = rows.column("index").combine_chunks()
    chosen = _fields(rows, index, fields)
    for name in chosen:
        _check_text(name, codec, codepage, f"the index field name {name!r}")
    records = rows.column("record")
    pieces: list = []
    for name, source in chosen.items():
        values = _values(rows, index, source)
        _check_values(values, records, name, source, codec, codepage)
        pieces += [scalar(f"GROUP_FIELD_NAME:{name}\nGROUP_FIELD_VALUE:"), values, scalar("\n")]
    lengths = rows.column("length")
    if rows.num_rows and pc.min(lengths).as_py() <= 0:
        # CMOD reads a length of 0 as "the whole file"
        raise ValueError("the manifest lists a rendered document of no length")
    pieces += [scalar("GROUP_OFFSET:"), _decimal(rows.column("offset")), scalar("\nGROUP_LENGTH:"), _decimal(lengths)]
    pieces.append(scalar(f"\nGROUP_FILENAME:{filename}\n"))
    body = b""
    if rows.num_rows:
        groups = pc.binary_join_element_wise(*pieces, EMPTY_STRING)
        # the groups one after another are the string array's data buffer between its offsets
        offsets = np.frombuffer(groups.buffers()[1], np.int32)[groups.offset : groups.offset + len(groups) + 1]
        body = groups.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]
        if codec != "utf-8":
            body = body.decode("utf-8").encode(codec)
    write_bytes_atomically(path, f"CODEPAGE:{codepage}\n".encode(codec) + body, "the archive index ")
    return rows.num_rows


def _codec(codepage: int) -> str:
    codec = CMOD_CODEPAGES.get(codepage) if isinstance(codepage, int) and not isinstance(codepage, bool) else None
    if codec is None:
        known = ", ".join(str(c) for c in CMOD_CODEPAGES)
        raise ValueError(f"code page {codepage!r} is not one an index file can be written in (choose from {known})")
    return codecs.lookup(codec).name


def _fields(rows: pa.Table, index: pa.Array, fields) -> dict[str, str]:
    """CMOD field name -> its source (a manifest column or an index tag), checked."""
    columns = {f.name for f in rows.schema if not pa.types.is_nested(f.type)}
    tags = _tags(index)
    if fields is None:
        wanted = [] if rows.column("key").null_count == rows.num_rows else ["key"]
        chosen = {name: name for name in wanted + [t for t in tags if t not in wanted]}
    elif isinstance(fields, dict):
        chosen = dict(fields)
    elif isinstance(fields, (list, tuple)):
        chosen = {}
        for name in fields:
            if name in chosen:
                raise ValueError(f"the index field {name!r} is named twice")
            chosen[name] = name
    else:
        raise ValueError(f"fields must be a list of names, a dict of field name -> name, or None, not {fields!r}")
    if len(chosen) > CMOD_MAX_FIELDS:
        raise ValueError(f"{len(chosen)} index fields: a CMOD document has at most {CMOD_MAX_FIELDS}")
    for name, source in chosen.items():
        if not isinstance(name, str) or not isinstance(source, str) or not name:
            raise ValueError(f"an index field is a non-empty name and the name of its value, not {name!r}: {source!r}")
        if source not in columns and source not in tags:
            known = ", ".join(tags) or "none: give the Document tags"
            raise ValueError(
                f"the index field {name!r} reads {source!r}, which is neither a manifest column "
                f"({', '.join(sorted(columns))}) nor an index tag of the documents (their tags: {known})"
            )
    return chosen


def _tags(index: pa.Array) -> list[str]:
    """The index tags the documents have, in the order they first name them."""
    if not len(index):
        return []
    # the keys of the whole buffer: a slice's are those between its first and last offset
    first, last = index.offsets[0].as_py(), index.offsets[-1].as_py()
    return pc.unique(index.keys.slice(first, last - first)).to_pylist()


def _values(rows: pa.Table, index: pa.Array, source: str) -> pa.Array:
    """One string per document: the manifest column ``source``, else its index tag."""
    if source in rows.column_names and not pa.types.is_nested(rows.schema.field(source).type):
        values = rows.column(source).combine_chunks()
        return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    return map_first(index, source)


def _check_values(
    values: pa.Array, records: pa.ChunkedArray, name: str, source: str, codec: str, codepage: int
) -> None:
    """Raise ValueError naming the first document whose value is missing, not one line,
    or not writable in the codec."""
    what = f"the index field {name!r}" + (f" ({source})" if source != name else "")
    if values.null_count:
        at = int(to_numpy(pc.is_null(values)).argmax())
        raise ValueError(f"record {records[at].as_py()}: no value for {what}")
    bad = to_numpy(pc.match_substring_regex(values, _NOT_ONE_LINE))
    if bad.any():
        at = int(bad.argmax())
        raise ValueError(
            f"record {records[at].as_py()}: the value of {what} holds a line break or control character "
            f"({values[at].as_py()!r}): an index value is one line"
        )
    if codec == "utf-8":
        return  # Arrow strings are UTF-8 already
    for value in pc.unique(values).to_pylist():
        try:
            value.encode(codec)
        except UnicodeEncodeError:
            at = int(to_numpy(pc.equal(values, scalar(value))).argmax())
            who = f"record {records[at].as_py()}: the value of {what} ({value!r})"
            raise ValueError(f"{who} cannot be written in code page {codepage}") from None


def _check_text(text: str, codec: str, codepage: int, what: str) -> None:
    if _NOT_ONE_LINE_PY.search(text):
        raise ValueError(f"{what} holds a line break or control character: it must be one line")
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        raise ValueError(f"{what} cannot be written in code page {codepage}") from None


def _decimal(values: pa.ChunkedArray) -> pa.Array:
    return pc.cast(values.combine_chunks(), pa.string())
