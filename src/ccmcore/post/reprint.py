"""Reprint the pieces an inserter did not finish: the way back from the inserter's results.

    result = reprint("out/statements.pdf.mailrun.json", "inserter-results.csv", "out/reprint.pdf")

A mail production leaves its parts in its work directory and describes itself in
``OUT.mailrun.json``; the inserter reports which pieces it completed, diverted or damaged
(:func:`ccmcore.post.inserter.read_results`). The reprint job holds exactly the pieces
that did not go out (every one not reported ``completed``), in their original order and
with their original ids, the marks drawn again for the new file (sheet n of m of the
piece, the new file's sheet sequence), with its own manifest, pieces table, mail run
data files and archive index. A piece that is one of several of a split document is
reprinted with its document's other pieces (a document is never cut in two files), and
the result says which pieces came along that way.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..output import check_output, output_format, write_parquet_atomically
from ..partfile import PartFileError
from ..parts import PartJob
from ..storage import read_part
from .inserter import read_results, write_mail_run
from .pieces import Pieces
from .plan import MailPlan, MailPlanError, _mark
from .production import documents_only, write_manifests, write_outputs

__all__ = ["reprint", "Reprint"]


@dataclass
class Reprint:
    """What a reprint wrote.

    Attributes:
        output: the reprint's print file.
        pieces: the ids of the pieces reprinted, in order.
        along: ids reprinted only because another piece of their document was.
        statuses: piece id -> the inserter's status, for the pieces reprinted.
        manifest: the reprint's manifest (also beside the file).
    """

    output: Path
    pieces: list[int] = field(default_factory=list)
    along: list[int] = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    manifest: pa.Table | None = None

    def summary(self) -> str:
        line = f"{len(self.pieces):,} pieces reprinted -> {self.output}"
        if self.along:
            line += f" ({len(self.along)} along with another piece of their document)"
        return line


def reprint(
    run: str | os.PathLike,
    results: str | os.PathLike,
    output: str | os.PathLike,
    *,
    document=None,
    storage_options: dict | None = None,
) -> Reprint:
    """Write a print file of the pieces of a mail production that did not go out.

    Args:
        run: the production's ``OUT.mailrun.json``.
        results: the inserter's result file (CSV with ``piece`` and ``status``).
        output: the reprint's print file (the production's format).
        document: the document, when the production's could not be named by a file
            (composed from a notebook); else the one the run names is loaded.
        storage_options: fsspec options for parts a distributed run left at URLs.

    Returns:
        a :class:`Reprint`.

    Raises:
        MailPlanError: the run's description, pieces or parts cannot be read, the
            results name a piece the run does not have, or every piece went out.
    """
    run_path = Path(run)
    try:
        desc = json.loads(run_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MailPlanError(f"cannot read the mail run {run_path}: {exc}") from None
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(desc["pieces"])
    except (OSError, pa.ArrowInvalid) as exc:
        raise MailPlanError(f"cannot read the pieces table {desc['pieces']}: {exc}") from None
    statuses = read_results(results)
    ids = table.column("piece").to_pylist()
    unknown = sorted(set(statuses) - set(ids))
    if unknown:
        raise MailPlanError(f"{results}: piece {unknown[0]} is not a piece of the run {run_path}")
    failed = [p for p in ids if statuses.get(p) != "completed"]
    if not failed:
        raise MailPlanError(f"{results}: every piece of the run was completed: nothing to reprint")
    take, along = _with_their_documents(table, set(failed))
    chosen = table.take(pa.array(take, pa.int64()))
    if desc["job"].get("template") is None and document is None:
        raise MailPlanError(
            f"the run {run_path} was composed from a document no file defines: give the document (--template)"
        )
    job = PartJob.from_description(desc["job"], document)
    out = check_output(output)
    if output_format(out, None) != job.format:
        raise MailPlanError(f"the run's documents are {job.format.upper()}: name the reprint .{job.format}")
    parts = []
    with tempfile.TemporaryDirectory(prefix="ccm-reprint-") as copies:
        for where in desc.get("parts") or ():
            try:
                parts.append(read_part(where, job.format, storage_options, copies))
            except FileNotFoundError:
                raise MailPlanError(f"the part {where} of the run is gone: a reprint needs the run's parts") from None
            except PartFileError as exc:
                raise MailPlanError(f"the part {where} of the run is damaged: {exc}") from None
        if desc.get("covers"):
            try:
                parts.append(read_part(desc["covers"], job.format, storage_options, copies))
            except (FileNotFoundError, PartFileError) as exc:
                raise MailPlanError(f"the run's cover sheets {desc['covers']} cannot be read: {exc}") from None
        return _write(job, parts, desc, chosen, along, statuses, out)


def _write(job, parts, desc, chosen, along, statuses, out: Path) -> Reprint:
    plan = MailPlan(marks=[_mark(m) for m in desc.get("marks", ())])
    pieces = _subset(chosen)
    outputs = write_outputs(job, parts, pieces, plan, out)
    write_manifests(outputs)
    o = outputs[0]
    kept = pieces.table.set_column(
        pieces.table.schema.get_field_index("output"), "output", pa.array([out.name] * chosen.num_rows, pa.string())
    )
    o.pieces = kept
    write_mail_run(kept, out)
    write_parquet_atomically(kept, out.with_name(out.name + ".pieces.parquet"), "the pieces table ")
    from .archive import write_cmod_index

    write_cmod_index(documents_only(o.manifest, kept), out.name, out.with_name(out.name + ".ind"))
    reprinted = kept.column("piece").to_pylist()
    return Reprint(out, reprinted, along, {p: statuses.get(p, "not reported") for p in reprinted}, o.manifest)


def _with_their_documents(table: pa.Table, failed: set[int]) -> tuple[list[int], list[int]]:
    """Rows of the failed pieces and of the other pieces of their split documents."""
    split = table.column("split").to_pylist()
    ids = table.column("piece").to_pylist()
    rows: list[int] = []
    along: list[int] = []
    k = 0
    while k < len(ids):
        n = int(split[k].split("/")[1]) if split[k] else 1
        group = range(k, k + n)
        if any(ids[j] in failed for j in group):
            rows.extend(group)
            along.extend(ids[j] for j in group if ids[j] not in failed)
        k += n
    return rows, along


def _subset(chosen: pa.Table) -> Pieces:
    """The pieces of a reprint as one output, sequence and first pages counted anew."""
    n = chosen.num_rows
    pages = chosen.column("pages").to_numpy().astype(np.int64)
    first = np.cumsum(pages) - pages
    table = chosen.set_column(chosen.schema.get_field_index("sequence"), "sequence", pa.array(np.arange(1, n + 1)))
    table = table.set_column(table.schema.get_field_index("first_page"), "first_page", pa.array(first))
    table = table.set_column(table.schema.get_field_index("output"), "output", pa.array([""] * n, pa.string()))
    records = []
    cols = (table.column(n).to_pylist() for n in ("records", "split", "cover"))
    for recs, split, cover in zip(*cols):
        if cover is not None:
            records.append(cover)
        if split is None or split.startswith("1/"):
            records.extend(recs)
    page_piece = np.repeat(np.arange(n, dtype=np.int64), pages)
    page_number = np.arange(int(pages.sum()), dtype=np.int64) - np.repeat(first, pages) + 1
    return Pieces(table, [""], [np.array(records, np.int64)], [page_piece], [page_number])
