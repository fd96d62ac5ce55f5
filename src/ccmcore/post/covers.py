"""Internal: cover sheets, one per piece the plan's rule picks (a household's envelope).

A cover sheet is a document of its own, made from the piece: the plan's ``cover``
Document is composed over one row per covered piece (:func:`cover_schema` names its
columns: the piece's id, counts, envelope, class, inserts, the documents it encloses, and
every index value of its first document, such as the address). It draws with the job's
own fonts, pictures and overlays, so its pages join the job's print files like any
document's, and it is one sheet: the plan counts it in the piece's sheets and weight.
"""

from __future__ import annotations

import pyarrow as pa

from ..parts import Part, PartJob, compose_part
from .plan import MailPlan, MailPlanError

__all__ = ["cover_schema", "cover_job", "compose_covers", "cover_table"]

#: what a cover sheet's document may read besides the first document's index values
COVER_COLUMNS = [
    ("piece", pa.int64()),
    ("documents", pa.int32()),
    ("sheets", pa.int32()),
    ("envelope", pa.string()),
    ("class", pa.string()),
    ("inserts", pa.string()),
    ("enclosed", pa.list_(pa.struct([("key", pa.string()), ("pages", pa.int32())]))),
]


def cover_schema(tags) -> pa.Schema:
    """The columns a cover Document binds: :data:`COVER_COLUMNS` and one text column per tag."""
    names = {n for n, _ in COVER_COLUMNS}
    return pa.schema(COVER_COLUMNS + [(t, pa.string()) for t in tags if t not in names])


def cover_job(plan: MailPlan, job: PartJob) -> PartJob:
    """The cover Document compiled for the job, drawing with the job's resources.

    Raises:
        MailPlanError: it draws with a font, picture or overlay the job's document does
            not, or shows the job's sheet number (the plan's marks number the sheets).
        BindingError, TemplateError: it reads a column a cover does not have.
    """
    assert plan.cover is not None
    schema = cover_schema(job.program.doc_given.tags)
    cj = PartJob.compile(plan.cover, schema, job.format, afp=job.afp, duplex=job.program.duplex)
    p = cj.program
    for objs, what in ((p.fonts, "font"), (p.images, "image"), (p.overlays, "overlay")):
        try:
            job.resources.indices(objs, what)
        except ValueError:
            raise MailPlanError(
                f"the cover sheet draws with a {what} the document does not use: give it the document's "
                f"{'font family' if what == 'font' else what + 's'}, so both print from one set of resources"
            ) from None
    from ..barcode_layout import needs_job_sheet

    if any(needs_job_sheet(d, p.duplex, p.omr_specs) for d in p.barcodes):
        raise MailPlanError(
            "the cover sheet has a barcode showing the job's sheet number: the plan's marks number the sheets"
        )
    cj.resources = job.resources
    return cj


def cover_table(rows: list[dict], tags) -> pa.Table:
    """The covered pieces as the cover Document's data (``rows``: dicts of its columns)."""
    schema = cover_schema(tags)
    return pa.Table.from_pylist(rows, schema=schema)


def compose_covers(cj: PartJob, table: pa.Table, first_record: int, per_sheet: int) -> Part:
    """Compose every cover sheet (record numbers from ``first_record``).

    Raises:
        MailPlanError: a cover cannot be composed, or takes more than one sheet.
    """
    part = compose_part(cj, -1, first_record, table.to_batches() or [table.to_batches(max_chunksize=1)])
    if part.rejected:
        r = part.rejected[0]
        piece = table.column("piece")[r.record - first_record].as_py()
        raise MailPlanError(f"the cover sheet of piece {piece} cannot be made: {r.field}: {r.reason}")
    import numpy as np

    pages = np.asarray(part.pages.doc_pages)
    long = np.flatnonzero(pages > per_sheet)
    if len(long):
        piece = table.column("piece")[int(long[0])].as_py()
        raise MailPlanError(f"the cover sheet of piece {piece} takes {int(pages[long[0]])} pages: a cover is one sheet")
    return part
