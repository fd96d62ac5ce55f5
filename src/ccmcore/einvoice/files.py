"""One PDF/A-3 file per e-invoice: the composed parts of a job written out document by
document, each file carrying its record's CII XML.

Every file is a complete PDF/A-3b: its pages, the fonts, images and overlays they draw,
the XMP metadata with the Factur-X properties, the sRGB output intent and the embedded
XML (``factur-x.xml`` or ``xrechnung.xml``, ``/AFRelationship /Alternative``). The fonts
are subset once for the whole job, over the glyphs every document drew, and every file
embeds that same subset: subsetting each file's own glyphs would cost a job ten times its
composing time, and a few kilobytes more per file cost nothing.

Files are named by the job's key column (``INV-2026-00000042.pdf``). A name that cannot
be a file name (empty, a path separator, too long) or that an earlier record already
took rejects its record, said in the report and the manifest like any other rejection.
The folder is written beside its final place and renamed into it when every file is
done, so it is never seen half-written; a job that fails removes it. A job with workers
has them write each part's files (:class:`PartFiles`), once every part is composed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import OutputError
from ..merge import MANIFEST_SCHEMA
from ..pdf.pdfa import NOT_XML
from ..program import Rejection

__all__ = [
    "check_folder",
    "unfinished_folder",
    "write_files",
    "write_part_files",
    "PartFiles",
    "packed",
    "FILES_MANIFEST_SCHEMA",
    "PACKED_SCHEMA",
]

#: a part's e-invoices, one row per record (null: rejected): the XML deflated as the PDF
#: embeds it, with its size and MD5, made where the part is composed
PACKED_SCHEMA = pa.schema([("deflated", pa.large_binary()), ("size", pa.int64()), ("md5", pa.binary(16))])


def packed(xml: pa.Array, level: int = 1) -> pa.Table:
    """A batch's XML documents deflated for embedding (:class:`ccmcore.pdf.PackedFile`):
    done where the part is composed, so the files stage only copies bytes, and a part
    file holds the XML at a tenth of its size."""
    from ..pdf.writer import PackedFile

    if xml.type != pa.large_string():
        xml = xml.cast(pa.large_string())
    n = len(xml)
    offsets = np.frombuffer(xml.buffers()[1], dtype=np.int64)[xml.offset : xml.offset + n + 1].tolist()
    data = memoryview(xml.buffers()[2] or b"")
    valid = xml.is_valid().to_numpy(zero_copy_only=False).tolist()
    rows = [PackedFile.of(data[offsets[i] : offsets[i + 1]], level) if valid[i] else None for i in range(n)]
    return pa.table(
        [
            pa.array([r.deflated if r else None for r in rows], pa.large_binary()),
            pa.array([r.size if r else None for r in rows], pa.int64()),
            pa.array([r.md5 if r else None for r in rows], pa.binary(16)),
        ],
        schema=PACKED_SCHEMA,
    )


#: the manifest of an e-invoice job: a job manifest's columns and each document's file
FILES_MANIFEST_SCHEMA = MANIFEST_SCHEMA.append(pa.field("file", pa.string()))

_NAME_MAX = 255


def check_folder(out: Path) -> None:
    """Check that the folder of an e-invoice job can be written (before anything is
    composed): its parent exists and is writable, and what is there already is a folder
    of PDF files (a previous run's, which the job replaces) or nothing.

    Raises:
        OutputError: naming what is wrong.
    """
    parent = out.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write the e-invoices into {out}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write the e-invoices into {out}: the directory {parent} is not writable")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"the e-invoices go into a folder, and {out} is a file: name a folder")
        other = [p.name for p in out.iterdir() if not (p.is_file() and p.suffix == ".pdf")]
        if other:
            raise OutputError(
                f"the folder {out} holds {other[0]!r}, which is not an e-invoice of an earlier run: "
                "the job replaces the whole folder, so name an empty or new folder"
            )


def _file_names(keys: list, records: list) -> tuple[list, dict]:
    """Each document's file name, and {index: reason} for the names that cannot be used."""
    names: list = []
    bad: dict[int, str] = {}
    taken: dict[str, int] = {}
    for i, (key, record) in enumerate(zip(keys, records)):
        name = f"{key}.pdf" if key is not None else None
        if key is None or name is None or not key.strip():
            bad[i] = "its key is empty, and the key names its file"
        elif "/" in key or "\\" in key or "\x00" in key or key in (".", ".."):
            bad[i] = f"its key {key!r} cannot be a file name (it holds a path separator)"
        elif NOT_XML.search(key):
            bad[i] = f"its key {key!r} holds a control character, which a file name and the PDF's title cannot carry"
        elif key.startswith("."):
            bad[i] = f"its key {key!r} would make a hidden file (it starts with a dot)"
        elif len(name.encode("utf-8")) > _NAME_MAX:
            bad[i] = f"its key is {len(key.encode('utf-8'))} bytes long, too long for a file name"
        elif name.lower() in taken:
            bad[i] = f"its file {name} is already record {taken[name.lower()]}'s (the key must be unique)"
        else:
            taken[name.lower()] = record  # one name per case: a case-insensitive file system would merge them
        names.append(name)
    return names, bad


class PartFiles(NamedTuple):
    """The files of one part to write: a task the job's process hands to a worker, or
    runs itself.

    Attributes:
        part: the part's index.
        docs: (document in the part, its row among the job's rendered ones, file name,
            title) per file.
        used: the glyphs every file's fonts hold (uint8 per job font glyph, all parts').
        uses: (IMAGE or OVERLAY, job index) of every image and overlay the parts draw.
        folder: where the files go.
    """

    part: int
    docs: list
    used: bytes
    uses: list
    folder: str


_TEMPLATE: list = []  # a worker's (job, task key, template): every part of its job shares it


def _template(job, task: PartFiles):
    """The job's file template, made once per worker for a job's files (the job is held,
    not its id: another job could get the id of one that is gone)."""
    key = (task.used, tuple(map(tuple, task.uses)))
    if _TEMPLATE and _TEMPLATE[0] is job and _TEMPLATE[1] == key:
        return _TEMPLATE[2]
    made = _make_template(job, task)
    _TEMPLATE[:] = [job, key, made]
    return made


def _make_template(job, task: PartFiles):
    from ..pdf.document_files import Attachment, DocumentFiles
    from .cii import CONFORMANCE_LEVELS

    compiled = job.program.einvoice
    attachment = Attachment(
        compiled.einvoice.xml_name,
        relationship="Alternative",
        description="the invoice as EN 16931 XML",
        facturx_level=CONFORMANCE_LEVELS[compiled.profile],
    )
    return DocumentFiles(job.resources, np.frombuffer(task.used, dtype=np.uint8), task.uses, attachment)


def write_part_files(job, part, task: PartFiles, template=None) -> list:
    """Write the files of one composed part (in a worker or the job's process).

    Args:
        template: the job's :class:`~ccmcore.pdf.document_files.DocumentFiles` (None:
            made from the task, once per worker).

    Returns:
        (row among the rendered, offset, length, checksum) per file written: where its
        document lies in it, as a print file's manifest has it.
    """
    from ..pdf.writer import PackedFile

    if template is None:
        template = _template(job, task)
    packs = [part.einvoice.column(c).to_pylist() for c in ("deflated", "size", "md5")]
    records = np.asarray(part.pages.records).tolist()
    wanted = []
    for d, _, _, title in task.docs:
        i = records[d] - part.record0
        wanted.append((d, title, PackedFile(packs[0][i], packs[1][i], packs[2][i])))
    written = []
    folder = os.open(task.folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for (_, k, name, _), file in zip(task.docs, template.files(part.pages, wanted)):
            _write(folder, name, file.chunks)
            written.append((k, file.extent.offset, file.extent.length, file.checksum))
    finally:
        os.close(folder)
    return written


def write_files(job, held: list, out: Path, report, *, title: str | None = None, pool=None, label=None) -> pa.Table:
    """Write one PDF/A-3 file per rendered document of the parts into the folder ``out``.

    Args:
        job: the :class:`~ccmcore.parts.PartJob` (with an e-invoice).
        held: its parts, in record order.
        out: the folder.
        report: the job's report: documents whose file name cannot be used are moved to
            its rejections.
        title: the files' title, before each one's key (None: the key alone).
        pool: a :class:`~ccmcore.workers.WorkerPool` whose workers write the parts' files
            (their task: a :class:`PartFiles`), or None to write them here.
        label: the task's words for a worker's error (``label(task)``).

    Returns:
        the manifest: a row per record, with its file (None when rejected).
    """
    rows = pa.concat_tables([p.manifest for p in held])
    rendered = np.asarray(pc.equal(rows.column("status"), "rendered").to_numpy(zero_copy_only=False), dtype=bool)
    at = np.flatnonzero(rendered)
    keys = rows.column("key").take(pa.array(at)).to_pylist()
    records = rows.column("record").take(pa.array(at)).to_pylist()
    names, bad = _file_names(keys, records)
    used = np.zeros(len(held[0].pages.used), dtype=np.uint8)
    for part in held:
        np.bitwise_or(used, np.asarray(part.pages.used, dtype=np.uint8), out=used)
    drawn = np.concatenate([np.asarray(p.pages.uses, dtype=np.int64).reshape(-1, 3)[:, 1:] for p in held])
    uses = sorted(set(map(tuple, drawn.tolist())))
    partial = unfinished_folder(out)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    late: list[Rejection] = []
    tasks = []
    k = 0  # index of the document among the job's rendered ones
    for part in held:
        docs = []
        for d, record in enumerate(np.asarray(part.pages.records).tolist()):
            if k in bad:
                late.append(Rejection(record, report.key or "key", bad[k], keys[k]))
            else:
                docs.append((d, k, names[k], keys[k] if title is None else f"{title} {keys[k]}"))
            k += 1
        tasks.append(PartFiles(part.index, docs, used.tobytes(), uses, str(partial)))
    written = []
    if pool is None:
        template = _make_template(job, tasks[0])
        for part, task in zip(held, tasks):
            written += write_part_files(job, part, task, template)
    else:
        for task in tasks:
            while not pool.room_within(2):
                written += pool.next_result()[1]
            pool.submit(label(task) if label else f"part {task.part}", task)
        while pool.in_flight:
            written += pool.next_result()[1]
    n = rows.num_rows
    offset = np.zeros(n, np.int64)
    length = np.zeros(n, np.int64)
    checksum = np.zeros(n, np.uint32)
    files: list = [None] * n
    for j, off, size, crc in written:
        row = int(at[j])
        offset[row], length[row], checksum[row], files[row] = off, size, crc, names[j]
    reused = np.concatenate([np.full(p.manifest.num_rows, p.reused) for p in held])
    manifest = _manifest(rows, np.zeros(n, np.int64), offset, length, checksum, files, late, reused)
    if late:
        _reject(report, rows, at, bad, late)
    if report.documents > 0:
        _replace(partial, out)
    else:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


def unfinished_folder(out: Path) -> Path:
    """Where the files are written until every one is done (a job that fails removes it,
    once no worker writes there any more)."""
    return out.with_name(f".{out.name}.partial")


def _write(folder: int, name: str, chunks: tuple) -> None:
    """A new file ``name`` in the open folder, of these bytes."""
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666, dir_fd=folder)
    try:
        left = sum(len(c) for c in chunks) - os.writev(fd, chunks)
        rest = memoryview(b"".join(chunks))[-left:] if left else b""
        while rest:  # a short write (a signal, a full disk): the rest, or the error it meets
            rest = rest[os.write(fd, rest) :]
    finally:
        os.close(fd)


def _replace(partial: Path, out: Path) -> None:
    """Put the finished folder in place of the old one, if any."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
    os.rename(partial, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _reject(report, rows, at, bad, late) -> None:
    """Move the documents whose file could not be named from the rendered to the rejected."""
    pages = rows.column("pages").to_numpy(zero_copy_only=False)
    for k in bad:
        report.documents -= 1
        report.pages -= int(pages[at[k]])
    report.rejected.extend(late)
    report.rejected.sort(key=lambda r: r.record)


def _manifest(rows, first_page, offset, length, checksum, files, late, reused) -> pa.Table:
    written = np.array([f is not None for f in files], dtype=bool)
    status = rows.column("status").to_pylist()
    field = rows.column("field").to_pylist()
    reason = rows.column("reason").to_pylist()
    pages = rows.column("pages").to_pylist()
    sheets = rows.column("sheets").to_pylist()
    late_by_record = {r.record: r for r in late}
    for i, record in enumerate(rows.column("record").to_pylist()):
        r = late_by_record.get(record)
        if r is not None:
            status[i], field[i], reason[i], pages[i], sheets[i] = "rejected", r.field, r.reason, 0, 0
    mask = ~written
    columns = {
        "status": pa.array(status, pa.string()),
        "field": pa.array(field, pa.string()),
        "reason": pa.array(reason, pa.string()),
        "pages": pa.array(pages, pa.int32()),
        "sheets": pa.array(sheets, pa.int32()),
        "part_reused": pa.array(reused),
        "first_page": pa.array(first_page, mask=mask),
        "offset": pa.array(offset, mask=mask),
        "length": pa.array(length, mask=mask),
        "checksum": pa.array(checksum, mask=mask),
        "file": pa.array(files, pa.string()),
    }
    arrays = [columns[f.name] if f.name in columns else rows.column(f.name) for f in FILES_MANIFEST_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=FILES_MANIFEST_SCHEMA)
