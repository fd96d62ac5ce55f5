"""The production job: parts and their manifest, every core, restart, reconciliation.

Output is read back by real readers (pikepdf, the AFP validator, ``ccm reconcile``), and
every claim about bytes is a comparison of whole files.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import generate  # examples/invoice, put on sys.path by conftest
import pikepdf
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from statement_example import gen as st_gen
from statement_example import tpl as st_tpl

from ccmcore import compose
from ccmcore.afp.validate import validate
from ccmcore.barcodes import omr_bits
from ccmcore.cli import EXIT_OK, EXIT_WORKER
from ccmcore.cli import main as ccm
from ccmcore.errors import OutputError
from ccmcore.reconciliation import reconcile
from ccmcore.units import to_mpt

ROOT = Path(__file__).resolve().parent.parent
INVOICE = ROOT / "examples" / "invoice" / "template.py"


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def invoices(tmp_path_factory):
    d = tmp_path_factory.mktemp("invoices")
    table = generate.generate(120, seed=3)
    pq.write_table(table, d / "in.parquet")
    return d / "in.parquet", table


@pytest.fixture(scope="module")
def statements(tmp_path_factory):
    d = tmp_path_factory.mktemp("statements")
    pq.write_table(st_gen.generate(40, seed=11), d / "in.parquet")
    return d / "in.parquet"


# ----------------------------------------------------------------- 2: the same bytes on every core


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_every_number_of_workers_and_every_part_size_writes_the_same_bytes(invoices, tmp_path, fmt):
    from template import document

    path, _ = invoices
    runs = [(1, 500), (2, 17), (3, 40), (1, 1)]
    digests = set()
    for workers, part_size in runs:
        out = tmp_path / f"w{workers}-p{part_size}.{fmt}"
        report = compose(document, path, out, workers=workers, part_size=part_size)
        assert report.documents == 120 and report.workers == workers
        assert report.parts == -(-120 // part_size)
        digests.add(sha(out))
    assert len(digests) == 1
    data = out.read_bytes()
    if fmt == "afp":
        assert validate(data) == []
        # the resource group comes first, and holds each font once
        assert data[3:6] == bytes.fromhex("D3A8C6")  # BRG
    else:
        with pikepdf.open(out) as pdf:
            assert len(pdf.pages) == report.pages
            shared = pdf.pages[0].Resources.Font  # every page shares one resource dictionary
            fonts = {str(shared[name].BaseFont) for name in shared.keys()}
            assert len(fonts) == len({f.split("+")[1] for f in fonts})  # one subset per font
        if _has("qpdf"):  # a second reader where the machine has it
            subprocess.run(["qpdf", "--check", str(out)], check=True, capture_output=True)


def _has(tool: str) -> bool:
    from shutil import which

    return which(tool) is not None


def _front_page_marks(pdf_path: Path) -> list[list[int]]:
    """Per page: the OMR mark positions (0 = top) drawn at the strip's x, from all its content streams."""
    spec = st_tpl.OMR
    x0, y0, pitch = to_mpt(st_tpl.OMR_X), to_mpt(st_tpl.OMR_Y), to_mpt(spec.pitch)
    out = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            height = round(float(page.MediaBox[3]) * 1000)
            marks = []
            for operands, op in pikepdf.parse_content_stream(page):
                if str(op) == "re" and round(float(operands[0])) == x0:
                    top = height - round(float(operands[1])) - round(float(operands[3]))
                    if y0 <= top < y0 + len(spec.marks) * pitch:
                        marks.append((top - y0) // pitch)
            out.append(sorted(marks))
    return out


def test_job_sheet_barcodes_run_on_across_parts_and_workers(statements, tmp_path):
    """The OMR sheet sequence counts sheets over the whole job, however it was cut up."""
    outs = []
    for workers, part_size in [(1, 1000), (2, 3), (2, 7)]:
        out = tmp_path / f"st-{workers}-{part_size}.pdf"
        compose(st_tpl.document, statements, out, workers=workers, part_size=part_size)
        outs.append(out)
        afp = tmp_path / f"st-{workers}-{part_size}.afp"
        compose(st_tpl.document, statements, afp, workers=workers, part_size=part_size)
        outs.append(afp)
    assert len({sha(o) for o in outs[0::2]}) == 1 and len({sha(o) for o in outs[1::2]}) == 1
    marks = _front_page_marks(outs[2])
    with pikepdf.open(outs[2]) as pdf:
        assert len(pdf.pages) == len(marks)
    manifest = pq.read_table(str(outs[2]) + ".manifest.parquet").to_pylist()
    job_sheet, page = 0, 0
    for row in manifest:
        for number in range(1, row["pages"] + 1):
            if number % 2 == 1:  # a front page: the marks are read there
                job_sheet += 1
                bits = omr_bits((number + 1) // 2, (row["pages"] + 1) // 2, job_sheet, spec=st_tpl.OMR)
                assert marks[page] == [i for i, b in enumerate(bits) if b], (row["record"], number)
            else:
                assert marks[page] == []
            page += 1
    assert job_sheet == sum(r["sheets"] for r in manifest)


# ----------------------------------------------------------------- 1 and 4: the manifest and the report


def test_the_manifest_has_a_row_per_record_and_cuts_the_file_at_documents(invoices, tmp_path):
    from template import document

    path, table = invoices
    # two records a template cannot show: the invoice number is over-long for its TLE
    names = table.column("name").to_pylist()
    names[5] = "x" * 5 + "\x07"  # a control character: rejected
    names[77] = "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace") + "\x01"
    bad = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names))
    data = tmp_path / "bad.parquet"
    pq.write_table(bad, data)
    out = tmp_path / "x.pdf"
    report = compose(document, data, out, key="customer_id", control_totals="total_cents", part_size=30, workers=2)
    m = pq.read_table(tmp_path / "x.pdf.manifest.parquet")
    assert m.equals(report.manifest)
    assert m.column("record").to_pylist() == list(range(120))
    rows = m.to_pylist()
    assert [r["record"] for r in rows if r["status"] == "rejected"] == [5, 77]
    assert rows[5]["field"] == "name" and "control character" in rows[5]["reason"]
    assert rows[5]["key"] == table.column("customer_id")[5].as_py() and rows[5]["offset"] is None
    assert [r["part"] for r in rows[::30]] == [0, 1, 2, 3]
    data = out.read_bytes()
    rendered = [r for r in rows if r["status"] == "rendered"]
    for a, b in zip(rendered, rendered[1:]):
        assert a["offset"] + a["length"] <= b["offset"]
        assert b["first_page"] == a["first_page"] + a["pages"]
    for r in rendered:
        doc = data[r["offset"] : r["offset"] + r["length"]]
        assert zlib.crc32(doc) == r["checksum"]
        assert doc.startswith(b"%%ccmcore-document %d\n" % r["record"])
        assert doc.count(b"/Type/Page/") == r["pages"] == r["sheets"]
    # control totals: records in = rendered + rejected, and the money adds up
    assert report.reconciles() and report.records == 120 and report.documents == 118
    cents = table.column("total_cents").to_pylist()
    assert report.control_totals["total_cents"] == {
        "rendered": sum(cents) - cents[5] - cents[77],
        "rejected": cents[5] + cents[77],
    }
    assert report.sheets == sum(r["sheets"] for r in rows) and report.pages == len(pikepdf.open(out).pages)


def test_control_totals_take_numbers_only(invoices, tmp_path):
    from template import document

    from ccmcore.errors import BindingError

    path, _ = invoices
    with pytest.raises(BindingError, match="control total column 'name' holds string"):
        compose(document, path, tmp_path / "x.pdf", control_totals=["name"])
    with pytest.raises(BindingError, match="control total column 'totl' is not a column"):
        compose(document, path, tmp_path / "x.pdf", control_totals=["totl"])


# ----------------------------------------------------------------- 3: restart


def test_resume_reuses_finished_parts_and_writes_the_same_bytes(invoices, tmp_path):
    from template import document

    path, _ = invoices
    ref = tmp_path / "ref.pdf"
    compose(document, path, ref, part_size=20)
    out = tmp_path / "x.pdf"
    seen = []

    def stop_after_three_parts(records, pages, total):
        seen.append(records)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compose(document, path, out, part_size=20, progress=stop_after_three_parts)
    work = tmp_path / ".x.pdf.parts"
    assert not out.exists() and len(list(work.glob("part-*.ccmpart"))) >= 3
    # a part damaged on the disk (a power cut) is made again, not trusted
    part1 = work / "part-000001.ccmpart"
    raw = bytearray(part1.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    part1.write_bytes(bytes(raw))
    report = compose(document, path, out, part_size=20, resume=True)
    assert sha(out) == sha(ref)
    assert report.parts_reused == 2 and report.parts == 6
    reused = pc.unique(report.manifest.filter(report.manifest.column("part_reused")).column("part")).to_pylist()
    assert sorted(reused) == [0, 2]
    assert not work.exists()  # a job that succeeded cleans up after itself


def test_parts_of_another_job_are_not_reused(invoices, tmp_path):
    from template import document

    path, table = invoices
    out = tmp_path / "x.pdf"
    with pytest.raises(KeyboardInterrupt):
        compose(document, path, out, part_size=20, progress=_stop_at(2))
    other = tmp_path / "other.parquet"
    pq.write_table(table.slice(1), other)  # the data changed in between
    report = compose(document, other, out, part_size=20, resume=True)
    assert report.parts_reused == 0 and report.records == 119


def _stop_at(n):
    calls = []

    def stop(records, pages, total):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt

    return stop


def test_without_resume_leftover_parts_are_removed(invoices, tmp_path):
    from template import document

    path, _ = invoices
    out = tmp_path / "x.afp"
    with pytest.raises(KeyboardInterrupt):
        compose(document, path, out, part_size=20, progress=_stop_at(2))
    report = compose(document, path, out, part_size=20)
    assert report.parts_reused == 0 and not (tmp_path / ".x.afp.parts").exists()


def test_a_full_disk_keeps_the_finished_parts_and_resume_finishes(invoices, tmp_path, monkeypatch):
    import errno

    from template import document

    import ccmcore.partfile as partfile

    path, _ = invoices
    ref = tmp_path / "ref.afp"
    compose(document, path, ref, part_size=20)
    real = partfile.write_part_file
    written = []

    def fills_up(p, *args):
        if len(written) == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(p)
        return real(p, *args)

    monkeypatch.setattr("ccmcore.parts.write_part_file", fills_up)
    out = tmp_path / "x.afp"
    with pytest.raises(OutputError, match=r"disk is full.*4 finished parts kept in .*--resume"):
        compose(document, path, out, part_size=20)
    monkeypatch.undo()
    report = compose(document, path, out, part_size=20, resume=True)
    assert report.parts_reused == 4 and sha(out) == sha(ref)


_KILLABLE = textwrap.dedent(
    """
    import sys, time
    import ccmcore.parts as parts
    real = parts.compose_part

    def slow(*args):  # a few milliseconds a part, so a kill lands mid-job
        time.sleep(0.004)
        return real(*args)

    parts.compose_part = slow
    from ccmcore.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_kill_9_at_random_moments_then_resume_gives_the_same_file(invoices, tmp_path):
    path, _ = invoices
    ref = tmp_path / "ref.pdf"
    assert ccm(["compose", str(INVOICE), str(path), "-o", str(ref), "-q", "--part-size", "7"]) == EXIT_OK
    out = tmp_path / "x.pdf"
    argv = [sys.executable, "-c", _KILLABLE, "compose", str(INVOICE), str(path), "-o", str(out), "-q"]
    argv += ["--part-size", "7", "-j", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    work = tmp_path / ".x.pdf.parts"
    for delay in (0.9, 1.3, 1.7):
        proc = subprocess.Popen(argv, env=env, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the job and its workers, like a power cut
        proc.wait()
        assert not out.exists() or sha(out) == sha(ref)
        done = subprocess.run([*argv, "--resume"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert sha(out) == sha(ref)
        assert not work.exists()
        out.unlink()
    assert reconcile(ref, str(ref) + ".manifest.parquet").ok


_DYING_WORKER = textwrap.dedent(
    """
    import os, signal, sys
    import ccmcore.parts as parts
    real = parts.compose_part
    job_process = os.getpid()

    def a_worker_dies_on_its_first_part(job, index, *args):
        if os.getpid() != job_process:  # a forked worker
            os.kill(os.getpid(), signal.SIGKILL)
        return real(job, index, *args)

    parts.compose_part = a_worker_dies_on_its_first_part
    from ccmcore.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_a_worker_that_dies_fails_the_job_in_one_line_and_resume_finishes(invoices, tmp_path):
    path, _ = invoices
    out = tmp_path / "x.pdf"
    argv = [sys.executable, "-c", _DYING_WORKER, "compose", str(INVOICE), str(path), "-o", str(out), "-q"]
    argv += ["--part-size", "10", "-j", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    assert proc.returncode == EXIT_WORKER
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("ccm: error: a worker process was killed by signal 9")
    m = re.search(r"while composing part (\d+) \(records (\d+)-(\d+)\)", line)
    assert m and int(m[2]) == 10 * int(m[1]) and int(m[3]) == int(m[2]) + 9, line
    assert not out.exists()
    proc = subprocess.run([sys.executable, "-m", "ccmcore.cli", *argv[3:], "--resume"], env=env, capture_output=True)
    assert proc.returncode == 0 and out.exists()
    assert reconcile(out, str(out) + ".manifest.parquet").ok


# ----------------------------------------------------------------- 4: ccm reconcile


@pytest.fixture(scope="module", params=["pdf", "afp"])
def printed(request, invoices, tmp_path_factory):
    from template import document

    path, _ = invoices
    out = tmp_path_factory.mktemp("printed") / f"inv.{request.param}"
    compose(document, path, out, key="customer_id", part_size=25, workers=2)
    return out, Path(str(out) + ".manifest.parquet")


def test_reconcile_passes_on_clean_output(printed, capsys):
    out, manifest = printed
    assert ccm(["reconcile", str(out), str(manifest)]) == 0
    assert "120 of 120 documents match the manifest (120 in the file): ok" in capsys.readouterr().out


def _rows(manifest):
    return pq.read_table(manifest).to_pylist()


def test_reconcile_fails_on_one_flipped_byte_naming_the_document(printed, tmp_path, capsys):
    out, manifest = printed
    row = _rows(manifest)[41]
    data = bytearray(out.read_bytes())
    data[row["offset"] + row["length"] // 2] ^= 0x01
    bad = tmp_path / out.name
    bad.write_bytes(bytes(data))
    assert ccm(["reconcile", str(bad), str(manifest)]) == 1
    err = capsys.readouterr().err
    assert f"record 41 ({row['key']}):" in err and "checksum" in err
    assert len(reconcile(bad, manifest).problems) == 1


def test_reconcile_fails_on_a_removed_document_naming_it(printed, tmp_path, capsys):
    out, manifest = printed
    row = _rows(manifest)[60]
    data = out.read_bytes()
    bad = tmp_path / out.name
    bad.write_bytes(data[: row["offset"]] + data[row["offset"] + row["length"] :])
    assert ccm(["reconcile", str(bad), str(manifest)]) == 1
    err = capsys.readouterr().err
    assert f"record 60 ({row['key']}): missing" in err


def test_reconcile_fails_on_a_duplicated_document_naming_it(printed, tmp_path, capsys):
    out, manifest = printed
    row = _rows(manifest)[7]
    data = out.read_bytes()
    doc = data[row["offset"] : row["offset"] + row["length"]]
    bad = tmp_path / out.name
    end = row["offset"] + row["length"]
    bad.write_bytes(data[:end] + doc + data[end:])
    assert ccm(["reconcile", str(bad), str(manifest)]) == 1
    err = capsys.readouterr().err
    assert f"record 7 ({row['key']}): duplicated: 2 copies" in err


def test_reconcile_fails_on_a_truncated_file(printed, tmp_path):
    out, manifest = printed
    data = out.read_bytes()
    bad = tmp_path / out.name
    bad.write_bytes(data[: len(data) * 2 // 3])
    result = reconcile(bad, manifest)
    assert not result.ok and any("truncated" in p for p in result.problems)
    assert any("missing" in p for p in result.problems)


# ----------------------------------------------------------------- 5: what the device had to degrade


def test_a_diagonal_line_afp_cannot_draw_is_a_warning_on_each_record(tmp_path):
    from ccmcore import Document, Frame, Line, PageTemplate, Paragraph, Style

    doc = Document(
        flow=[Paragraph("Dear {name},", Style(size=10))],
        first=PageTemplate("p", Frame(50, 50, 300, 500), [Line(60, 40, 200, 45, name="stroke")]),
    )
    data = pa.table({"name": ["Ann", "Cem"]})
    report = compose(doc, data, tmp_path / "x.afp")
    assert [(w.record, w.element) for w in report.warnings] == [(0, "line"), (1, "line")]
    assert "1 diagonal line left out" in report.warnings[0].message
    assert report.manifest.column("warnings").to_pylist()[1] == [f"line: {report.warnings[1].message}"]
    assert compose(doc, data, tmp_path / "x.pdf").warnings == []  # PDF draws it


# ----------------------------------------------------------------- 5: the compiled template travels


def test_a_compiled_job_is_a_small_picklable_value_that_composes_the_same_part(invoices):
    import pickle

    from template import document

    from ccmcore.parts import PartJob, compose_part

    path, table = invoices
    job = PartJob.compile(document, table.schema, "pdf", key="customer_id", duplex=True)
    blob = pickle.dumps(job)
    assert len(blob) < 4096  # where the template is and the schema, not the compiled tables
    other = pickle.loads(blob)
    assert other is not job and other.program.duplex is True
    assert pickle.loads(blob) is other  # compiled once per process
    batch = table.slice(0, 10).to_batches()
    a, b = compose_part(job, 0, 0, batch), compose_part(other, 0, 0, batch)
    assert a.pages.content == b.pages.content and a.manifest.equals(b.manifest)


def test_a_document_no_file_defines_cannot_be_sent(invoices):
    import pickle

    from ccmcore import Document, Frame, PageTemplate, Paragraph
    from ccmcore.parts import PartJob

    _, table = invoices
    made_here = Document(flow=[Paragraph("{name}")], first=PageTemplate("p", Frame(50, 50, 300, 500)))
    with pytest.raises(TypeError, match="define it at the top level of a template file"):
        pickle.dumps(PartJob.compile(made_here, table.schema, "pdf"))


def test_checksums_hold_where_font_oids_are_filled_in_at_the_end(tmp_path):
    """Composed characters go out as glyph runs naming the font's OID, known only when the
    job's subset is made: the documents' checksums are those of the finished bytes."""
    from ccmcore import Document, Frame, PageTemplate, Paragraph, Style

    doc = Document(
        flow=[Paragraph("Dear {name},", Style(size=10))],
        first=PageTemplate("p", Frame(50, 50, 300, 500)),
        tags={"Name": "{name}"},
    )
    names = ["Cafe\u0301 Ann", "Ce\u0301m", "plain"] * 20
    out = tmp_path / "x.afp"
    report = compose(doc, pa.table({"name": names}), out, workers=2, part_size=7)
    assert validate(out.read_bytes()) == []
    result = reconcile(out, report.manifest)
    assert result.ok, result.problems[:3]
    data = out.read_bytes()
    for row in report.manifest.to_pylist():
        assert zlib.crc32(data[row["offset"] : row["offset"] + row["length"]]) == row["checksum"]
    assert dict(report.manifest.column("index")[1].as_py()) == {"Name": "Ce\u0301m"}


def test_the_readmes_invoice_job_writes_a_manifest_that_reconciles(tmp_path):
    out = tmp_path / "inv.pdf"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = [sys.executable, str(ROOT / "examples" / "invoice" / "run.py"), "--docs", "30", "-o", str(out)]
    done = subprocess.run(run, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = Path(str(out) + ".manifest.parquet")
    assert f"manifest:  {manifest}" in done.stdout
    assert ccm(["reconcile", str(out), str(manifest)]) == 0
    assert pq.read_table(manifest).num_rows == 30


def test_work_dir_and_manifest_options_put_the_files_where_asked(invoices, tmp_path):
    path, _ = invoices
    out, work, manifest = tmp_path / "x.afp", tmp_path / "spool" / "job", tmp_path / "m" / "x.parquet"
    manifest.parent.mkdir()
    argv = ["compose", str(INVOICE), str(path), "-o", str(out), "-q", "-j", "2", "--part-size", "30"]
    argv += ["--work-dir", str(work), "--manifest", str(manifest)]
    assert ccm(argv) == EXIT_OK
    assert pq.read_table(manifest).num_rows == 120 and not (tmp_path / "x.afp.manifest.parquet").exists()
    assert not work.exists()  # removed with the job's success
    assert not (tmp_path / ".x.afp.parts").exists()  # the default was not used
    assert reconcile(out, manifest).ok
