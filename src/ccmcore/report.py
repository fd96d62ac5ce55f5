"""The report of a job: what it read, wrote and left out, and the totals that prove it.

``compose()`` returns a :class:`JobReport`. Its control totals reconcile: records read
equal documents rendered plus records rejected, and the sum of any column named in
``control_totals`` is given over rendered and over rejected records; its ``manifest``
(an Arrow table, also written as Parquet beside the output) has one row per record.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from .output import write_text_atomically
from .program import Rejection

__all__ = ["JobReport", "Warning_"]


@dataclass
class Warning_:
    """Something rendered, but not as the template intended (an overlong word broken, ...)."""

    record: int
    element: str
    message: str

    def __str__(self) -> str:
        return f"record {self.record}, {self.element}: {self.message}"


@dataclass
class JobReport:
    """What a job did.

    Attributes:
        output: path of the finished file.
        format: "pdf" or "afp".
        records: records read.
        documents: documents rendered.
        pages: pages written.
        seconds: wall time of the job.
        merge_seconds: of it, the time spent writing the composed parts into the print
            file in record order (a mail production merges in piece order instead: see
            ``mail.timing``).
        rejected: why records were left out, sorted by record number: one entry per
            reason, so a record with two bad fields has two (see :attr:`rejected_records`
            and :meth:`rejections_by_record`), each with the record's key when the job
            has a key column.
        warnings: rendered records with something worth a look.
        messages: (record, message name) for every message placed.
        key: the key column naming records in rejections (None: record numbers only).
        unmatched_details: detail records (``compose(details=...)``) whose key matched no
            record: left out, counted here.
        unmatched_keys: the keys of the first of them (at most 20, in the order read).
        sheets: sheets printed (a duplex sheet holds two pages).
        control_totals: column -> {"rendered": sum, "rejected": sum} for the columns the
            job was asked to total (``control_totals=``).
        manifest: one row per record (a ``pyarrow.Table``; see :mod:`ccmcore.merge` for
            its columns), None until the job has written its file.
        manifest_path: where the manifest was written as Parquet (None: not written).
        parts: parts the job was cut into; parts_reused: how many a resumed job took
            from an earlier run.
        workers: processes that composed.
        mail: what a mail production wrote (:class:`ccmcore.post.MailRun`; None without one).
    """

    output: str
    format: str
    records: int = 0
    documents: int = 0
    pages: int = 0
    seconds: float = 0.0
    merge_seconds: float = 0.0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    messages: list[tuple[int, str]] = field(default_factory=list)
    key: str | None = None
    unmatched_details: int = 0
    unmatched_keys: list = field(default_factory=list)
    sheets: int = 0
    control_totals: dict = field(default_factory=dict)
    manifest: object = None
    manifest_path: str | None = None
    parts: int = 0
    parts_reused: int = 0
    workers: int = 1
    mail: Any = None

    def account(self, part, pages: int, sheets: int) -> None:
        """Count a part merged into the file (``pages``, ``sheets``: the file's so far)."""
        self.records += part.records
        self.documents += part.records - len({r.record for r in part.rejected})
        self.pages = pages
        self.sheets = sheets
        self.rejected.extend(part.rejected)
        self.messages.extend(part.messages)
        self.warnings.extend(Warning_(r, e, m) for r, e, m in part.warnings)
        self.parts_reused += part.reused
        for c, (a, b) in part.totals.items():
            sums = self.control_totals.setdefault(c, {"rendered": 0, "rejected": 0})
            sums["rendered"] += a
            sums["rejected"] += b

    @property
    def rejected_records(self) -> int:
        """How many records were rejected (a record with several reasons counts once)."""
        return len({r.record for r in self.rejected})

    def rejections_by_record(self) -> list[tuple[int, str | None, list[Rejection]]]:
        """(record, key, its rejections) for each rejected record, in record order."""
        out: list[tuple[int, str | None, list[Rejection]]] = []
        for r in sorted(self.rejected, key=lambda r: r.record):
            if out and out[-1][0] == r.record:
                if r not in out[-1][2]:
                    out[-1][2].append(r)
            else:
                out.append((r.record, r.key, [r]))
        return out

    def message_counts(self) -> dict[str, int]:
        """How many documents got each message."""
        counts: dict[str, int] = {}
        for _, name in self.messages:
            counts[name] = counts.get(name, 0) + 1
        return counts

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: documents, pages, time, throughput, rejections."""
        line = (
            f"{self.documents} documents, {self.pages} pages in {self.seconds:.2f} s "
            f"({self.pages_per_second:,.0f} pages/s) -> {self.output}"
        )
        if self.rejected:
            n = self.rejected_records
            line += f"; {n} record{'s' if n != 1 else ''} rejected"
        if self.warnings:
            line += f"; {len(self.warnings)} warnings"
        if self.unmatched_details:
            n = self.unmatched_details
            line += f"; {n} detail record{'s' if n != 1 else ''} matched no record"
        if self.parts_reused:
            line += f"; {self.parts_reused} of {self.parts} parts reused"
        if self.mail is not None:
            n = len(self.mail.outputs)
            line += f"; {self.mail.production['pieces']:,} pieces in {n} output{'s' if n != 1 else ''}"
        return line

    def reconciles(self) -> bool:
        """Records read = documents rendered + records rejected."""
        return self.records == self.documents + self.rejected_records

    def to_dict(self) -> dict:
        return {
            "output": self.output,
            "format": self.format,
            "records": self.records,
            "documents": self.documents,
            "pages": self.pages,
            "sheets": self.sheets,
            "seconds": round(self.seconds, 3),
            "merge_seconds": round(self.merge_seconds, 3),
            "workers": self.workers,
            "parts": self.parts,
            "parts_reused": self.parts_reused,
            "manifest": self.manifest_path,
            "mail": None if self.mail is None else self.mail.files,
            "control_totals": {
                "records_in": self.records,
                "documents_rendered": self.documents,
                "records_rejected": self.rejected_records,
                "balanced": self.reconciles(),
                "columns": {
                    c: {k: (v if isinstance(v, int) else str(v)) for k, v in sums.items()}
                    for c, sums in self.control_totals.items()
                },
            },
            "key": self.key,
            "rejected_records": self.rejected_records,
            "unmatched_details": self.unmatched_details,
            "unmatched_keys": self.unmatched_keys,
            "rejected": [vars(r) for r in sorted(self.rejected, key=lambda r: r.record)],
            "warnings": [vars(w) for w in self.warnings],
            "messages": {
                "counts": self.message_counts(),
                "placed": [{"record": r, "message": m} for r, m in self.messages],
            },
        }

    def write_json(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_dict` as JSON, whole or not at all (through a part file and a rename).

        Raises:
            OutputError: the file cannot be written (one line naming it and the cause).
        """
        write_text_atomically(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", "the report ")
