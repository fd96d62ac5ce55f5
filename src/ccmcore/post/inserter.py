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


def _number(v: int, width: int, what: str, piece: int) -> str:
    s = str(int(v)).zfill(width)
    if len(s) > width:
        raise MailPlanError(f"piece {piece}: {what} {v} does not fit the fixed-width file's {width} digits")
    return s


def write_mail_run(pieces: pa.Table, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write one output's mail run data file in both forms.

    Args:
        pieces: the output's rows of the pieces table, in production order.
        path: the print file; the files are ``PATH.mailrun.csv`` and ``PATH.mailrun.txt``.

    Returns:
        (CSV path, fixed-width path).
    """
    path = Path(path)
    rows = pieces.to_pylist()
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(_CSV_FIELDS)
    fixed = []
    for r in rows:
        feeders = [str(k + 1) for k in range(16) if r["feeders"] >> k & 1]
        w.writerow(
            [
                r["piece"],
                r["sequence"],
                r["sheets"],
                r["pages"],
                ";".join(feeders),
                int(r["divert"]),
                r["envelope"],
                r["class"] or "",
                f"{r['weight_g']:.2f}",
                r["documents"],
                r["first_page"],
            ]
        )
        p = r["piece"]
        fixed.append(
            _number(p, 8, "the piece id", p)
            + _number(r["sequence"], 8, "the sequence", p)
            + _number(r["sheets"], 3, "the sheet count", p)
            + "".join("1" if r["feeders"] >> k & 1 else "0" for k in range(16))
            + ("D" if r["divert"] else "0")
            + _ascii(r["class"], 20)
            + _number(round(r["weight_g"] * 10), 6, "the weight", p)
            + _number(r["documents"], 3, "the document count", p)
            + _ascii(r["envelope"], 15)
            + "\n"
        )
    csv_path = path.with_name(path.name + ".mailrun.csv")
    txt_path = path.with_name(path.name + ".mailrun.txt")
    write_text_atomically(csv_path, text.getvalue(), "the mail run data file ")
    write_text_atomically(txt_path, "".join(fixed), "the mail run data file ")
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
