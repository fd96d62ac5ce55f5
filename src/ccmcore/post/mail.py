"""Mail production: a composed job's parts become envelopes, print files, inserter files,
archive indexes and a production report.

    report = compose(document, "statements.parquet", "out/statements.pdf", mail=plan)
    print(report.mail.summary())

It runs once every part of the job is composed (locally, or by ``ccm merge --mail`` for
a distributed run): the pieces are planned on the manifest rows, each output is merged
in piece order with the plan's marks, and beside each print file go its manifest
(``FILE.manifest.parquet``), its mail run data files (``FILE.mailrun.csv`` / ``.txt``)
and its archive index (``FILE.ind``); beside the job's output name go the pieces table
(``OUT.pieces.parquet``), the job's manifest (``OUT.manifest.parquet``), the production
report (``OUT.production.json`` and ``OUT.production.pdf``) and the run's description
for reprints (``OUT.mailrun.json``).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..output import write_parquet_atomically, write_text_atomically
from ..parts import Part, PartJob, save_part
from .covers import compose_covers, cover_job, cover_table
from .inserter import write_mail_run
from .pieces import plan_pieces
from .plan import MailPlan, OmrMarks, PieceCode
from .production import Output, documents_only, job_manifest, write_manifests, write_outputs

__all__ = ["MailRun", "produce", "side_file"]


def side_file(out: Path, suffix: str) -> Path:
    """A file of the job beside its output: ``OUT`` + suffix."""
    return out.with_name(out.name + suffix)


@dataclass
class MailRun:
    """What a mail production wrote.

    Attributes:
        outputs: per output file: name (split value), path, pieces, documents, sheets,
            pages, postage in cents.
        pieces: the pieces table (``OUT.pieces.parquet``).
        production: the production report (as written to ``OUT.production.json``).
        files: every file written, by role.
        seconds: the time the post-processing took (planning, merging, files, report).
        timing: its parts in seconds: ``plan`` (pieces and covers), ``merge`` (the print
            files, in piece order), ``marks`` (drawing them), ``files`` (manifests,
            inserter files, indexes, pieces table).
    """

    outputs: list[dict] = field(default_factory=list)
    pieces: pa.Table | None = None
    production: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    seconds: float = 0.0
    timing: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line per output: pieces, sheets and postage."""
        cur = self.production.get("currency", "")
        lines = [
            f"{o['file']}: {o['pieces']:,} pieces, {o['documents']:,} documents, {o['sheets']:,} sheets, "
            f"postage {o['postage_cents'] / 100:,.2f} {cur}"
            for o in self.outputs
        ]
        return "\n".join(lines)


def _marks_description(plan: MailPlan) -> list[dict]:
    out = []
    for m in plan.marks:
        if isinstance(m, OmrMarks):
            spec = dataclasses.asdict(m.spec)
            spec["marks"] = list(spec["marks"])
            out.append({"omr": {"x": m.x, "y": m.y, **spec}})
        elif isinstance(m, PieceCode):
            out.append({"code": {"x": m.x, "y": m.y, "data": m.data, "kind": m.kind, "module": m.module}})
    return out


def produce(
    job: PartJob,
    parts: list[Part],
    rows: pa.Table,
    plan: MailPlan,
    out: Path,
    report,
    *,
    title: str | None = None,
    part_files: list[str] | None = None,
    storage_options: dict | None = None,
    index_fields=None,
    compose_seconds: float = 0.0,
) -> MailRun:
    """Plan the pieces and write every output of a mail production.

    Args:
        job: the job the parts belong to.
        parts: all its parts (memory-mapped), in record order.
        rows: their manifest rows (every record).
        plan: the mail plan.
        out: the job's output path (outputs of a split are named after it).
        report: the job's :class:`~ccmcore.report.JobReport` (its counts and rejections).
        title: the PDF's title.
        part_files: where the parts stay for reprints (written into ``OUT.mailrun.json``;
            local paths or URLs).
        storage_options: fsspec options of those URLs (not written: they may hold secrets).
        index_fields: the archive index's fields (None: the key and every tag).
        compose_seconds: how long composing took (for the report).

    Returns:
        the :class:`MailRun`; ``report.manifest`` becomes the job's manifest with each
        document's output and piece.
    """
    t0 = time.perf_counter()
    timing: dict = {}
    cj = cover_job(plan, job) if plan.cover is not None else None
    pieces = plan_pieces(rows, plan, duplex=job.program.duplex)
    covers = None
    if cj is not None:
        covers = _covers(cj, pieces.table, rows, job)
        if covers is not None:
            parts = [*parts, covers]
    timing["plan"] = time.perf_counter() - t0
    outputs = write_outputs(job, parts, pieces, plan, out, title=title, timing=timing)
    timing["merge"] = time.perf_counter() - t0 - timing["plan"] - timing.get("marks", 0.0)
    try:
        if covers is not None:
            save_part(covers, side_file(out, ".covers.ccmpart"), "covers")
        return _files(
            job, parts, rows, plan, out, report, pieces, outputs, part_files, index_fields, compose_seconds, t0, timing
        )
    except BaseException:
        # a production that fails half-way leaves nothing that looks finished
        for o in outputs:
            for suffix in ("", ".manifest.parquet", ".mailrun.csv", ".mailrun.txt", ".ind"):
                o.path.with_name(o.path.name + suffix).unlink(missing_ok=True)
        for suffix in (".pieces.parquet", ".mailrun.json", ".production.json", ".production.pdf", ".covers.ccmpart"):
            side_file(out, suffix).unlink(missing_ok=True)
        raise


def _files(job, parts, rows, plan, out, report, pieces, outputs, part_files, index_fields, compose_seconds, t0, timing):
    """Everything beside the print files; the run's :class:`MailRun`."""
    write_manifests(outputs)
    run = MailRun()
    files: dict = {"outputs": [str(o.path) for o in outputs]}
    names = {o.name: o.path.name for o in outputs}
    table = pieces.table.set_column(
        pieces.table.schema.get_field_index("output"),
        "output",
        pa.array([names[v] for v in pieces.table.column("output").to_pylist()], pa.string()),
    )
    for o in outputs:
        o.pieces = table.filter(pc.equal(table.column("output"), o.path.name))
        write_mail_run(o.pieces, o.path)
        _archive_index(o, index_fields)
    run.pieces = table
    write_parquet_atomically(table, side_file(out, ".pieces.parquet"), "the pieces table ")
    files["pieces"] = str(side_file(out, ".pieces.parquet"))
    report.manifest = job_manifest(outputs, rows)
    report.pages = sum(o.pages for o in outputs)
    report.sheets = sum(o.sheets for o in outputs)
    run.outputs = [_output_summary(o) for o in outputs]
    description = job.description(named=False)  # without a file, a reprint is given the document
    write_text_atomically(
        side_file(out, ".mailrun.json"),
        json.dumps(
            {
                "job": description,
                "parts": part_files or [],
                "covers": str(side_file(out, ".covers.ccmpart")) if plan.cover is not None else None,
                "marks": _marks_description(plan),
                "currency": plan.currency,
                "pieces": files["pieces"],
                "output": str(out),
            },
            indent=1,
            ensure_ascii=False,
        ),
        "the mail run description ",
    )
    files["run"] = str(side_file(out, ".mailrun.json"))
    run.seconds = time.perf_counter() - t0
    timing["files"] = run.seconds - sum(timing.values())
    run.timing = timing
    run.production = production_report(report, run, plan, out, compose_seconds)
    write_text_atomically(
        side_file(out, ".production.json"), json.dumps(run.production, indent=1, ensure_ascii=False), "the report "
    )
    from .report_pdf import write_report_pdf

    write_report_pdf(run.production, side_file(out, ".production.pdf"))
    files["production"] = [str(side_file(out, ".production.json")), str(side_file(out, ".production.pdf"))]
    run.files = files
    run.seconds = time.perf_counter() - t0
    return run


def _archive_index(o: Output, fields) -> None:
    from .archive import write_cmod_index

    documents = documents_only(o.manifest, o.pieces)
    write_cmod_index(documents, o.path.name, o.path.with_name(o.path.name + ".ind"), fields=fields)


def _covers(cj: PartJob, table: pa.Table, rows: pa.Table, job: PartJob):
    """The cover sheets of the pieces that have one, composed (None: no piece has one)."""
    covered = table.filter(pc.is_valid(table.column("cover")))
    if covered.num_rows == 0:
        return None
    rendered = rows.filter(pc.equal(rows.column("status"), "rendered"))
    info = {
        r: (k, p, dict(i or ()))
        for r, k, p, i in zip(*(rendered.column(n).to_pylist() for n in ("record", "key", "pages", "index")))
    }
    tags = list(job.program.doc_given.tags)
    data = []
    for piece in covered.to_pylist():
        first = info[piece["records"][0]][2]
        row = {t: first.get(t) for t in tags}
        row.update(
            piece=piece["piece"],
            documents=piece["documents"],
            sheets=piece["sheets"],
            envelope=piece["envelope"],
            inserts=", ".join(piece["inserts"]),
            enclosed=[{"key": info[r][0], "pages": info[r][1]} for r in piece["records"]],
        )
        row["class"] = piece["class"]
        data.append(row)
    first_record = int(covered.column("cover")[0].as_py())
    return compose_covers(cj, cover_table(data, tags), first_record, 2 if job.program.duplex else 1)


def _output_summary(o: Output) -> dict:
    p = o.pieces
    return {
        "file": o.path.name,
        "split": o.name,
        "pieces": p.num_rows,
        "documents": o.manifest.num_rows,
        "sheets": int(pc.sum(p.column("sheets")).as_py() or 0),
        "pages": o.pages,
        "postage_cents": int(pc.sum(p.column("postage_cents")).as_py() or 0),
        "diverted": int(pc.sum(p.column("divert").cast(pa.int64())).as_py() or 0),
    }


def production_report(report, run: MailRun, plan: MailPlan, out: Path, compose_seconds: float) -> dict:
    """The production report a manager reads: counts per output and class, postage,
    rejections, messages, timing (JSON-ready)."""
    table = run.pieces
    assert table is not None
    classes = []
    for c in plan.postage:
        mine = table.filter(pc.equal(table.column("class"), c.name))
        classes.append(
            {
                "class": c.name,
                "pieces": mine.num_rows,
                "sheets": int(pc.sum(mine.column("sheets")).as_py() or 0),
                "price_cents": c.price_cents,
                "postage_cents": int(pc.sum(mine.column("postage_cents")).as_py() or 0),
            }
        )
    unclassed = table.filter(pc.is_null(table.column("class")))
    if unclassed.num_rows:
        classes.append(
            {
                "class": "none (diverted)",
                "pieces": unclassed.num_rows,
                "sheets": int(pc.sum(unclassed.column("sheets")).as_py() or 0),
                "price_cents": 0,
                "postage_cents": 0,
            }
        )
    counts = pc.value_counts(table.column("sheets")).to_pylist() if table.num_rows else []
    by_sheets = sorted(({"sheets": c["values"], "pieces": c["counts"]} for c in counts), key=lambda d: d["sheets"])
    messages: dict[str, int] = {}
    for _, name in report.messages:
        messages[name] = messages.get(name, 0) + 1
    return {
        "title": f"Mail production: {out.name}",
        "job": {"output": out.name, "format": report.format},
        "records": report.records,
        "documents": report.documents,
        "rejected_records": report.records - report.documents,
        "pieces": table.num_rows,
        "sheets": int(pc.sum(table.column("sheets")).as_py() or 0),
        "pages": report.pages,
        "postage_cents": int(pc.sum(table.column("postage_cents")).as_py() or 0),
        "currency": plan.currency,
        "outputs": run.outputs,
        "classes": classes,
        "by_sheets": by_sheets,
        "households": int(pc.sum(pc.greater(table.column("documents"), 1).cast(pa.int64())).as_py() or 0),
        "covers": int(pc.sum(pc.is_valid(table.column("cover")).cast(pa.int64())).as_py() or 0),
        "diverted": int(pc.sum(table.column("divert").cast(pa.int64())).as_py() or 0),
        "rejected": [
            {"record": r.record, "key": r.key, "field": r.field, "reason": r.reason} for r in report.rejected[:1000]
        ],
        "messages": dict(sorted(messages.items())),
        "timing": {
            "compose_seconds": round(compose_seconds, 3),
            "post_seconds": round(run.seconds, 3),
            **{f"post_{k}_seconds": round(v, 3) for k, v in run.timing.items()},
        },
    }
