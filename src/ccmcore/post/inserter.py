"""Inserter control: the mail run data file of each output, and the inserter's results read back.

The mail run data file tells a folder-inserter what each piece is, in the order the
pieces are printed: one record per piece. Two forms carry the same fields:

CSV (``FILE.mailrun.csv``, UTF-8, a header line, comma-separated)::

    piece,sequence,sheets,pages,feeders,divert,envelope,class,weight_g,documents,first_page

Fixed width (``FILE.mailrun.txt``, ASCII, one 80-byte line per piece, then a line break)::

    columns  width  field
    1-8      8      piece id, zero-padded
    9-16     8      sequence of the piece in its output, zero-padded
    17-19    3      sheets, zero-padded
    20-35    16     feeders to fire: "1" or "0" per feeder, feeder 1 first
    36       1      "D": divert (outsort) the piece, "0": insert it
    37-56    20     postage class, left-aligned, space-padded (ß as ss, accents dropped)
    57-62    6      weight in tenths of a gram, zero-padded
    63-65    3      documents in the piece, zero-padded
    66-80    15     envelope, left-aligned, space-padded

``feeders`` in the CSV is the list of feeder numbers separated by ``;`` (empty: none),
``divert`` is 1 or 0.

The way back: an inserter's result file (:func:`read_results`) is CSV with a header,
a ``piece`` column and a ``status`` column (``completed``, ``diverted``, ``damaged``,
or any other word the machine writes); other columns are ignored. A piece that is not
``completed``, or that the file does not list at all, did not go out and is reprinted
(see :func:`ccmcore.post.reprint`).
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..output import write_text_atomically
from .plan import MailPlanError

__all__ = ["write_mail_run", "read_results", "FIXED_WIDTH", "RESULT_STATUSES"]

#: (field, width) of a fixed-width record, in order
FIXED_WIDTH = (
    ("piece", 8),
    ("sequence", 8),
    ("sheets", 3),
    ("feeders", 16),
    ("divert", 1),
    ("class", 20),
    ("weight", 6),
    ("documents", 3),
    ("envelope", 15),
)

#: the statuses an inserter reports; only ``completed`` counts as gone out
RESULT_STATUSES = ("completed", "diverted", "damaged")

_CSV_FIELDS = (
    "piece",
    "sequence",
    "sheets",
    "pages",
    "feeders",
    "divert",
    "envelope",
    "class",
    "weight_g",
    "documents",
    "first_page",
)


def _ascii(text: str | None, width: int) -> str:
    t = unicodedata.normalize("NFKD", (text or "").replace("ß", "ss"))
    t = "".join(c for c in t if ord(c) < 128 and not unicodedata.combining(c))
    return t[:width].ljust(width)


def _numbers(column, width: int, what: str, pieces: pa.Array) -> pa.Array:
    """Whole numbers as zero-padded text of ``width`` digits.

    Raises:
        MailPlanError: one does not fit (the piece is named).
    """
    values = pc.cast(column, pa.int64())
    too_big = pc.greater_equal(values, 10**width)
    if pc.any(too_big).as_py():
        at = pc.index(too_big, True).as_py()
        raise MailPlanError(
            f"piece {pieces[at].as_py()}: {what} {values[at].as_py()} does not fit "
            f"the fixed-width file's {width} digits"
        )
    return pc.utf8_lpad(pc.cast(values, pa.string()), width, "0")


def _each(column, form) -> pa.Array:
    """A text per value of a column of few distinct values (classes, envelopes, feeder sets)."""
    values = column.to_pylist()
    made = {v: form(v) for v in set(values)}
    return pa.array([made[v] for v in values], pa.string())


def _csv_field(v) -> str:
    text = "" if v is None else str(v)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_mail_run(pieces: pa.Table, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write one output's mail run data file in both forms.

    Args:
        pieces: the output's rows of the pieces table, in production order.
        path: the print file; the files are ``PATH.mailrun.csv`` and ``PATH.mailrun.txt``.

    Returns:
        (CSV path, fixed-width path).

    Raises:
        MailPlanError: a number does not fit its fixed-width field.
        OutputError: a file cannot be written.
    """
    path = Path(path)
    t = pieces.combine_chunks()
    col = t.column
    piece = col("piece").combine_chunks()
    text = {
        n: pc.cast(col(n), pa.string()) for n in ("piece", "sequence", "sheets", "pages", "documents", "first_page")
    }
    feeders = col("feeders")
    csv_cols = [
        text["piece"],
        text["sequence"],
        text["sheets"],
        text["pages"],
        _each(feeders, lambda m: ";".join(str(k + 1) for k in range(16) if m >> k & 1)),
        pc.cast(pc.cast(col("divert"), pa.int8()), pa.string()),
        _each(col("envelope"), _csv_field),
        _each(col("class"), _csv_field),
        pa.array([f"{w:.2f}" for w in col("weight_g").to_pylist()], pa.string()),
        text["documents"],
        text["first_page"],
    ]
    lines = pc.binary_join_element_wise(*csv_cols, ",")
    csv_text = ",".join(_CSV_FIELDS) + "\n" + "".join(s + "\n" for s in lines.to_pylist())
    weight10 = pc.round(pc.multiply(col("weight_g"), 10))
    fixed_cols = [
        _numbers(col("piece"), 8, "the piece id", piece),
        _numbers(col("sequence"), 8, "the sequence", piece),
        _numbers(col("sheets"), 3, "the sheet count", piece),
        _each(feeders, lambda m: "".join("1" if m >> k & 1 else "0" for k in range(16))),
        pc.if_else(col("divert"), "D", "0"),
        _each(col("class"), lambda v: _ascii(v, 20)),
        _numbers(weight10, 6, "the weight", piece),
        _numbers(col("documents"), 3, "the document count", piece),
        _each(col("envelope"), lambda v: _ascii(v, 15)),
    ]
    fixed = pc.binary_join_element_wise(*fixed_cols, "")
    fixed_text = "".join(s + "\n" for s in fixed.to_pylist())
    csv_path = path.with_name(path.name + ".mailrun.csv")
    txt_path = path.with_name(path.name + ".mailrun.txt")
    write_text_atomically(csv_path, csv_text, "the mail run data file ")
    write_text_atomically(txt_path, fixed_text, "the mail run data file ")
    return csv_path, txt_path


def read_results(path: str | os.PathLike) -> dict[int, str]:
    """An inserter's result file: piece id -> status (lower case).

    Raises:
        MailPlanError: the file cannot be read, lacks the ``piece`` or ``status`` column,
            or names a piece twice or one that is not a number (the line is named).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MailPlanError(f"cannot read the inserter results {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    names = [n.strip().lower() for n in reader.fieldnames or ()]
    if "piece" not in names or "status" not in names:
        raise MailPlanError(
            f"{path}: the inserter results need the columns piece and status (found: {', '.join(names)})"
        )
    reader.fieldnames = names
    out: dict[int, str] = {}
    for line, row in enumerate(reader, start=2):
        raw = (row.get("piece") or "").strip()
        try:
            piece = int(raw)
        except ValueError:
            raise MailPlanError(f"{path}, line {line}: piece {raw!r} is not a piece id") from None
        if piece in out:
            raise MailPlanError(f"{path}, line {line}: piece {piece} is listed twice")
        out[piece] = (row.get("status") or "").strip().lower()
    return out
