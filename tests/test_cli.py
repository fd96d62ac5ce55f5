"""The ``ccm`` command behaves like a tool people script: the format follows the output's name,
every failure is one line with a documented exit status and leaves nothing at the output
path, the template finds its files beside itself, and the report names rejected records by
a key. Each output is read back (PDFium, pikepdf, the AFP validator and reader)."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pikepdf
import pyarrow as pa
import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest
from afp_read import read_groups
from font_helpers import make_font

import ccmcore
import ccmcore.job as job
from ccmcore import (
    BindingError,
    Document,
    EmptyJobError,
    Frame,
    PageTemplate,
    Paragraph,
    SourceError,
    compose,
    mm,
    number,
)
from ccmcore.afp.validate import validate
from ccmcore.cli import (
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_NO_DOCUMENTS,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TOO_MANY_REJECTED,
    EXIT_USAGE,
    load_document,
)
from ccmcore.cli import main as ccm_main
from ccmcore.errors import OutputError, RejectionLimitError
from ccmcore.output import part_path

TEMPLATE = """
from ccmcore import Document, Frame, PageTemplate, Paragraph, mm

page = PageTemplate("p", Frame(mm(20), mm(20), mm(170), mm(250)), [])
document = Document(flow=[Paragraph("Dear {name},")], first=page, required=["name", "city"])
"""
_namespace: dict = {}
exec(TEMPLATE, _namespace)
DOCUMENT = _namespace["document"]
#: record 1 has two bad fields, record 3 one: three entries, two records
DATA = pa.table(
    {
        "customer_id": ["C-100", "C-101", "C-102", "C-103", "C-104"],
        "name": ["Ann", None, "Cem", "Dora", "Eve"],
        "city": ["Bonn", None, "Kiel", None, "Ulm"],
    }
)
GOOD = DATA.filter(pa.array([True, False, True, False, True]))


@pytest.fixture
def job_files(tmp_path):
    """A template file, a data file with rejections and one without, in tmp_path/in; outputs in tmp_path/out."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "letter.py").write_text(TEMPLATE)
    pq.write_table(DATA, src / "mixed.parquet")
    pq.write_table(GOOD, src / "good.parquet")
    return src, out


def run(*argv) -> int:
    return ccm_main(["compose", *map(str, argv), "-q"])


def files(directory: Path) -> list[str]:
    """The files in a directory, without the manifests jobs write beside their output."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".manifest.parquet"))


def pdf_text(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ----------------------------------------------------------------- 13: the format follows the name


@pytest.mark.parametrize("name, fmt", [("x.pdf", "pdf"), ("x.afp", "afp"), ("X.AFP", "afp"), ("X.Pdf", "pdf")])
def test_the_extension_chooses_the_format(job_files, capsys, name, fmt):
    src, out = job_files
    assert run(src / "letter.py", src / "good.parquet", "-o", out / name) == EXIT_OK
    data = (out / name).read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF-")
        assert [t.strip() for t in pdf_text(out / name)] == ["Dear Ann,", "Dear Cem,", "Dear Eve,"]
    else:
        assert data[:1] == b"\x5a" and validate(data) == []
        assert [g.pages[0].text for g in read_groups(out / name)] == ["Dear Ann,", "Dear Cem,", "Dear Eve,"]
    assert files(out) == [name]


def test_api_takes_the_format_from_the_extension_and_an_explicit_one_for_other_names(tmp_path):
    compose(DOCUMENT, GOOD, tmp_path / "a.afp")
    assert validate((tmp_path / "a.afp").read_bytes()) == []
    compose(DOCUMENT, GOOD, tmp_path / "a.prn", format="afp")  # a name of the print room's choosing
    assert validate((tmp_path / "a.prn").read_bytes()) == []
    compose(DOCUMENT, GOOD, tmp_path / "a", format="pdf")
    assert (tmp_path / "a").read_bytes().startswith(b"%PDF-")
    with pytest.raises(ValueError, match="cannot tell the output format from the name 'a.out'"):
        compose(DOCUMENT, GOOD, tmp_path / "a.out")
    with pytest.raises(ValueError, match="'b.afp' is named as AFP but the format is pdf"):
        compose(DOCUMENT, GOOD, tmp_path / "b.afp", format="pdf")
    with pytest.raises(ValueError, match="unknown output format 'ps'"):
        compose(DOCUMENT, GOOD, tmp_path / "b.ps", format="ps")
    assert files(tmp_path) == ["a", "a.afp", "a.prn"]


@pytest.mark.parametrize(
    "name, extra, says",
    [
        ("x.afp", ["--format", "pdf"], "'x.afp' is named as AFP but the format is pdf"),
        ("x.pdf", ["--format", "afp"], "'x.pdf' is named as PDF but the format is afp"),
        ("x.out", [], "cannot tell the output format from the name 'x.out': name it .pdf or .afp, or give the format"),
        ("x.pdf", ["--form-definition", "F1X"], "--form-definition applies to AFP output"),
    ],
)
def test_cli_format_mistakes_are_usage_errors(job_files, capsys, name, extra, says):
    src, out = job_files
    assert run(src / "letter.py", src / "good.parquet", "-o", out / name, *extra) == EXIT_USAGE
    assert says in one_error_line(capsys.readouterr().err)
    assert files(out) == []


def test_cli_explicit_format_for_another_name(job_files, capsys):
    src, out = job_files
    assert run(src / "letter.py", src / "good.parquet", "-o", out / "job.prn", "--format", "afp") == EXIT_OK
    assert validate((out / "job.prn").read_bytes()) == []


# ----------------------------------------------------------------- 14: I/O failures, one line each


@pytest.mark.parametrize(
    "target, says",
    [
        ("missing/x.pdf", "the directory {out}/missing does not exist"),
        ("sub", "the output {out}/sub is a directory: give a file name"),
        ("sub/", "the output {out}/sub/ is a directory: give a file name"),
        ("file.txt/x.pdf", "{out}/file.txt is not a directory"),
        ("n" * 300 + ".pdf", "its name is 304 bytes long, this file system allows 255"),
    ],
)
def test_output_path_problems_are_one_line_before_anything_is_written(job_files, capsys, target, says):
    src, out = job_files
    (out / "sub").mkdir()
    (out / "file.txt").write_text("x")
    before = files(out)
    assert run(src / "letter.py", src / "good.parquet", "-o", f"{out}/{target}") == EXIT_IO
    assert says.format(out=out) in one_error_line(capsys.readouterr().err)
    assert files(out) == before and files(out / "sub") == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_or_device_at_the_output_path_is_refused_not_replaced(job_files, capsys):
    src, out = job_files
    os.mkfifo(out / "x.pdf")  # what /dev/null would be: renaming a file over it would replace it
    assert run(src / "letter.py", src / "good.parquet", "-o", out / "x.pdf") == EXIT_IO
    assert "it is not a regular file (a device or a pipe)" in one_error_line(capsys.readouterr().err)
    assert files(out) == ["x.pdf"] and not (out / "x.pdf").is_file()


def test_a_long_name_that_fits_is_written_and_its_part_name_fits_too(job_files, capsys):
    src, out = job_files
    name = "n" * 251 + ".pdf"  # 255 bytes: the part's prefix and suffix would not fit beside it
    assert len(part_path(out / name).name.encode()) <= 255
    assert run(src / "letter.py", src / "good.parquet", "-o", out / name) == EXIT_OK
    assert files(out) == [name] and len(pdf_text(out / name)) == 3


def test_a_read_only_target_is_refused_and_left_alone(job_files, capsys):
    src, out = job_files
    target = out / "x.pdf"
    target.write_bytes(b"yesterday's run")
    target.chmod(0o444)
    assert run(src / "letter.py", src / "good.parquet", "-o", target) == EXIT_IO
    assert "the file there is read-only" in one_error_line(capsys.readouterr().err)
    assert target.read_bytes() == b"yesterday's run" and files(out) == ["x.pdf"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_refused(job_files, capsys):
    src, out = job_files
    out.chmod(0o555)
    try:
        assert run(src / "letter.py", src / "good.parquet", "-o", out / "x.pdf") == EXIT_IO
        assert "is not writable" in one_error_line(capsys.readouterr().err)
        assert files(out) == []
    finally:
        out.chmod(0o755)


class _FullDisk(io.FileIO):
    """A file on a disk that fills up after ``room`` bytes."""

    room = 3000

    def write(self, b):
        if self.tell() + len(b) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(b)


def _open_on_full_disk(path, mode="r", *args, **kwargs):
    return io.BufferedWriter(_FullDisk(path, mode.replace("b", "")))


@pytest.mark.parametrize("name", ["x.pdf", "x.afp"])
def test_a_full_disk_is_one_line_and_leaves_no_part(job_files, capsys, monkeypatch, name):
    src, out = job_files
    monkeypatch.setattr(job, "open", _open_on_full_disk, raising=False)  # what the job opens its part with
    assert run(src / "letter.py", src / "good.parquet", "-o", out / name) == EXIT_IO
    line = one_error_line(capsys.readouterr().err)
    work = out / f".{name}.parts"
    assert line == (
        f"ccm: error: cannot write {out / name}: the disk is full (no space left on device); "
        f"1 finished part kept in {work}: run again with --resume to go on"
    )
    assert files(out) == [work.name]  # no print file, no part of one: the finished part, hidden
    monkeypatch.undo()
    with pytest.raises(OutputError, match="disk is full") as e:
        monkeypatch.setattr(job, "open", _open_on_full_disk, raising=False)
        compose(DOCUMENT, GOOD, out / name)
    # one process, one part: it was merged as soon as made, so no part was kept for a resume
    assert isinstance(e.value, OSError) and files(out) == []


def test_a_permission_error_while_creating_the_part_is_one_line(job_files, capsys, monkeypatch):
    src, out = job_files

    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(job, "open", refuse, raising=False)
    assert run(src / "letter.py", src / "good.parquet", "-o", out / "x.pdf") == EXIT_IO
    assert "cannot write" in one_error_line(capsys.readouterr().err) and files(out) == []


def test_report_into_a_missing_directory_fails_before_the_job(job_files, capsys):
    src, out = job_files
    report = out / "nope" / "r.json"
    assert run(src / "letter.py", src / "good.parquet", "-o", out / "x.pdf", "--report", report) == EXIT_IO
    line = one_error_line(capsys.readouterr().err)
    assert f"cannot write the report {report}: the directory {out / 'nope'} does not exist" in line
    assert files(out) == []  # no print file either: the job did not start


def test_a_full_disk_while_writing_the_report_leaves_no_half_report(job_files, capsys, monkeypatch):
    src, out = job_files
    report = out / "r.json"
    report.write_text('{"old": true}\n')
    real_open = open

    def full(path, mode="r", *args, **kwargs):
        if str(path).endswith(".part") and "w" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("ccmcore.output.open", full, raising=False)
    assert run(src / "letter.py", src / "good.parquet", "-o", out / "x.pdf", "--report", report) == EXIT_IO
    assert f"cannot write the report {report}: the disk is full" in one_error_line(capsys.readouterr().err)
    assert json.loads(report.read_text()) == {"old": True} and files(out) == ["r.json", "x.pdf"]
    assert (out / "x.pdf.manifest.parquet").exists()


@pytest.mark.parametrize(
    "which, says",
    [
        ("data", "-o {src}/good.parquet is the data file: write the output elsewhere"),
        ("template", "-o {src}/letter.py is the template file: write the output elsewhere"),
    ],
)
def test_output_over_an_input_is_refused_before_anything(job_files, capsys, which, says):
    src, out = job_files
    target = src / ("good.parquet" if which == "data" else "letter.py")
    before = target.read_bytes()
    assert run(src / "letter.py", src / "good.parquet", "-o", target, "--format", "pdf") == EXIT_USAGE
    assert says.format(src=src) in one_error_line(capsys.readouterr().err)
    assert target.read_bytes() == before and files(src) == ["good.parquet", "letter.py", "mixed.parquet"]


def test_output_over_the_data_through_another_spelling_or_a_link(job_files, capsys):
    src, out = job_files
    link = out / "data.pdf"
    link.symlink_to(src / "good.parquet")
    assert run(src / "letter.py", src / "good.parquet", "-o", link) == EXIT_USAGE
    assert "is the data file" in one_error_line(capsys.readouterr().err)
    with pytest.raises(OutputError, match="is the data file"):
        compose(DOCUMENT, str(src / "good.parquet"), src / ".." / "in" / "good.parquet", format="pdf")
    assert pq.read_table(src / "good.parquet").equals(GOOD)


def test_report_over_the_output_is_refused(job_files, capsys):
    src, out = job_files
    argv = [src / "letter.py", src / "good.parquet", "-o", out / "x.pdf", "--report", out / "x.pdf"]
    assert run(*argv) == EXIT_USAGE
    assert "--report" in one_error_line(capsys.readouterr().err) and files(out) == []


@pytest.mark.parametrize(
    "option, value, says",
    [
        ("--batch-size", "0", "argument --batch-size: must be at least 1, got 0"),
        ("--batch-size", "-5", "argument --batch-size: must be at least 1, got -5"),
        ("--batch-size", "many", "argument --batch-size: expected a whole number, got 'many'"),
        ("--max-rejected", "-1", "argument --max-rejected: must be 0 or more, got -1"),
        ("--format", "ps", "argument --format: invalid choice: 'ps'"),
    ],
)
def test_bad_option_values_are_one_line_usage_errors(job_files, capsys, option, value, says):
    src, out = job_files
    assert run(src / "letter.py", src / "good.parquet", "-o", out / "x.pdf", option, value) == EXIT_USAGE
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("ccm compose: error: ") and says in line
    assert files(out) == []


def test_stale_parts_of_dead_jobs_are_removed_and_others_kept(job_files, capsys):
    src, out = job_files
    target = out / "x.pdf"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid belongs to no process now
    dead, alive = part_path(target, gone.pid), part_path(target, os.getppid())
    other_host = out / f".x.pdf.another-host.{gone.pid}.part"
    other_output = part_path(out / "y.pdf", gone.pid)
    for p in (dead, alive, other_host, other_output):
        p.write_bytes(b"%PDF-1.7 unfinished")
    assert run(src / "letter.py", src / "good.parquet", "-o", target) == EXIT_OK
    assert files(out) == sorted([alive.name, other_host.name, other_output.name, "x.pdf"])


# ----------------------------------------------------------------- SIGTERM and SIGINT, in a real process

_STALLING_RUN = textwrap.dedent(
    """
    import sys, time, pathlib
    import ccmcore.job as job
    from ccmcore.cli import main

    marker = pathlib.Path(sys.argv[1])
    import ccmcore.parts as parts
    real = parts.lay_out

    def stall_after_the_first_batch(*args):
        marker.write_text("composing")
        while True:  # until a signal stops the job
            time.sleep(0.05)

    parts.lay_out = stall_after_the_first_batch
    sys.exit(main(sys.argv[2:]))
    """
)


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, EXIT_INTERRUPTED)])
def test_a_signal_stops_the_job_with_one_line_and_no_file(job_files, tmp_path, signum, status):
    src, out = job_files
    marker = tmp_path / "started"
    argv = ["compose", str(src / "letter.py"), str(src / "good.parquet"), "-o", str(out / "x.pdf"), "-q"]
    proc = subprocess.Popen(
        [sys.executable, "-c", _STALLING_RUN, str(marker), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        for _ in range(1200):  # wait (up to a minute) until the job is composing
            if marker.exists() or proc.poll() is not None:
                break
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        assert marker.exists(), proc.communicate()
        # the job is writing its print file (under a temporary name) and has its work directory
        assert sorted(n.endswith(".part") for n in files(out)) == [False, True] and ".x.pdf.parts" in files(out)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == status == 128 + signum
    assert one_error_line(err) == f"ccm: interrupted ({signal.Signals(signum).name}); no output written"
    assert files(out) == []


# ----------------------------------------------------------------- 10: source errors mid-stream


def _csv_with_bad_row(path: Path, bad_line: str, at: int = 35_000) -> int:
    """A CSV file over pyarrow's 1 MB type-inference block, with one bad row; its line number."""
    rows = [f"C-{i:06d},customer number {i:08d} of the test,{i * 10}" for i in range(40_000)]
    rows[at] = bad_line
    path.write_text("customer_id,name,amount\n" + "\n".join(rows) + "\n")
    return at + 2  # the header is line 1


def test_a_csv_value_that_does_not_convert_mid_stream_names_file_and_line(job_files, capsys):
    src, out = job_files
    data = src / "big.csv"
    line = _csv_with_bad_row(data, "C-035000,customer,12.5x")
    with pytest.raises(SourceError) as e:
        compose(Document(flow=[Paragraph("{name}: {amount}")], formats={"amount": number()}), data, out / "x.pdf")
    message = str(e.value)
    assert message == (
        f"{data}, line {line}: column 'amount': cannot read '12.5x' as int64 "
        "(the column's type was inferred from the first rows of the file)"
    )
    assert files(out) == []
    (src / "amounts.py").write_text(
        "from ccmcore import Document, Paragraph, number\n"
        "document = Document(flow=[Paragraph('{name}: {amount}')], formats={'amount': number()})\n"
    )
    assert run(src / "amounts.py", data, "-o", out / "x.pdf") == EXIT_USAGE
    assert one_error_line(capsys.readouterr().err) == f"ccm: error: {message}"
    assert files(out) == []


def test_a_csv_row_with_too_many_fields_mid_stream_names_the_line(job_files):
    src, out = job_files
    data = src / "big.csv"
    line = _csv_with_bad_row(data, "C-035000,customer,10,surplus", at=30_001)
    with pytest.raises(SourceError, match=rf"^{data}, line {line}: expected 3 columns \(as in the header\), got 4$"):
        compose(Document(flow=[Paragraph("{name}")]), data, out / "x.pdf")
    assert files(out) == []


def test_a_csv_error_in_the_first_block_names_the_line_too(job_files):
    src, out = job_files
    data = src / "small.csv"
    data.write_text("customer_id,name\nC-1,Ann\n\nC-2,Bob,extra\n")  # an empty line is skipped, not counted out
    with pytest.raises(SourceError, match=rf"^{data}, line 4: expected 2 columns \(as in the header\), got 3$"):
        compose(Document(flow=[Paragraph("{name}")]), data, out / "x.pdf")
    assert files(out) == []


def test_a_broken_arrow_stream_names_the_file_and_the_first_record_not_read(job_files):
    src, out = job_files
    data = src / "cut.arrows"
    table = pa.table({"name": [f"customer {i}" for i in range(1000)]})
    with pa.OSFile(str(data), "wb") as f, pa.ipc.new_stream(f, table.schema) as w:
        for batch in table.to_batches(max_chunksize=100):
            w.write_batch(batch)
    whole = data.read_bytes()
    data.write_bytes(whole[: len(whole) * 55 // 100])  # cut in the sixth batch
    with pytest.raises(SourceError, match=rf"^{data}, record 500: cannot read the data: ") as e:
        compose(Document(flow=[Paragraph("{name}")]), data, out / "x.pdf", batch_size=100)
    assert "\n" not in str(e.value) and files(out) == []


# ----------------------------------------------------------------- 15: the template's own files


def _png(color) -> bytes:
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", (8, 4), color).save(buf, "PNG")
    return buf.getvalue()


HELPER_MODULE = "ccm_test_letter_texts"
TEMPLATE_WITH_FILES = f"""
from ccmcore import Document, FontFamily, Frame, Overlay, PageTemplate, Paragraph, Picture, mm
import {HELPER_MODULE}  # a module beside the template

family = FontFamily.from_paths("fonts/test.ttf", name="Test")
letterhead = Overlay("LHEAD", [Picture("art/letterhead.png", x=mm(0), y=mm(0), width=mm(40))])
page = PageTemplate(
    "p",
    Frame(mm(20), mm(60), mm(170), mm(200)),
    [Picture("art/logo.png", x=mm(150), y=mm(10), width=mm(30))],
    overlays=[letterhead],
)
document = Document(flow=[Paragraph({HELPER_MODULE}.GREETING)], first=page, family=family)
"""


@pytest.fixture
def template_with_files(tmp_path):
    home = tmp_path / "templates" / "letter"
    (home / "fonts").mkdir(parents=True)
    (home / "art").mkdir()
    (home / "fonts" / "test.ttf").write_bytes(make_font().data)
    (home / "art" / "logo.png").write_bytes(_png((200, 0, 0)))
    (home / "art" / "letterhead.png").write_bytes(_png((0, 0, 200)))
    (home / f"{HELPER_MODULE}.py").write_text('GREETING = "Hello {name}"\n')
    (home / "letter.py").write_text(TEMPLATE_WITH_FILES)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pq.write_table(pa.table({"name": ["Ann", "Bob"]}), elsewhere / "names.parquet")
    yield home, elsewhere
    sys.modules.pop(HELPER_MODULE, None)


def _check_letter_pdf(path: Path) -> None:
    assert [t.strip() for t in pdf_text(path)] == ["Hello Ann", "Hello Bob"]
    with pikepdf.open(path) as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        assert len(images) == 2  # the logo and the overlay's letterhead, each stored once
        colors = sorted(bytes(pikepdf.PdfImage(i).read_bytes()[:3]) for i in images)
        assert colors == [b"\x00\x00\xc8", b"\xc8\x00\x00"]
        fonts = {str(page.Resources.Font[k].get("/BaseFont")) for page in pdf.pages for k in page.Resources.Font.keys()}
        assert len(fonts) == 1 and fonts.pop().endswith("CcmTest-Regular")  # the template's font, subset


def test_template_finds_modules_pictures_and_fonts_beside_itself_from_any_directory(
    template_with_files, monkeypatch, capsys
):
    home, elsewhere = template_with_files
    monkeypatch.chdir(elsewhere)
    path_before = list(sys.path)
    template = os.path.relpath(home / "letter.py")  # ../templates/letter/letter.py
    assert ccm_main(["compose", template, "names.parquet", "-o", "letters.pdf", "-q"]) == EXIT_OK
    _check_letter_pdf(elsewhere / "letters.pdf")
    assert sys.path == path_before  # the template's directory was on sys.path only while it loaded


def test_a_loaded_template_keeps_its_directory_for_the_api(template_with_files, monkeypatch, tmp_path):
    home, elsewhere = template_with_files
    monkeypatch.chdir(home)
    document = load_document("letter.py")
    monkeypatch.chdir(tmp_path)  # composed from somewhere else
    compose(document, elsewhere / "names.parquet", tmp_path / "api.pdf")
    _check_letter_pdf(tmp_path / "api.pdf")


def test_a_missing_picture_names_the_path_beside_the_template(template_with_files, monkeypatch, capsys):
    home, elsewhere = template_with_files
    (home / "art" / "logo.png").unlink()
    monkeypatch.chdir(elsewhere)
    assert ccm_main(["compose", str(home / "letter.py"), "names.parquet", "-o", "x.pdf"]) == EXIT_USAGE
    assert str(home / "art" / "logo.png") in one_error_line(capsys.readouterr().err)
    assert files(elsewhere) == ["names.parquet"]


def test_version(capsys):
    assert ccm_main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ccm (ccmcore) {ccmcore.__version__}"
    proc = subprocess.run([sys.executable, "-m", "ccmcore.cli", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"ccm (ccmcore) {ccmcore.__version__}"


# ----------------------------------------------------------------- 16: exit statuses


def test_exit_statuses_are_distinct():
    statuses = [
        EXIT_OK,
        EXIT_USAGE,
        EXIT_NO_DOCUMENTS,
        EXIT_REJECTED,
        EXIT_TOO_MANY_REJECTED,
        EXIT_IO,
        EXIT_INTERRUPTED,
    ]
    assert len(set(statuses)) == len(statuses) and 1 not in statuses  # 1: Python's own crash status
    assert EXIT_NO_DOCUMENTS == 3 and EXIT_USAGE == 2 and EXIT_INTERRUPTED == 130


def test_rejected_records_give_their_own_status_and_the_file(job_files, capsys):
    src, out = job_files
    assert run(src / "letter.py", src / "mixed.parquet", "-o", out / "x.pdf") == EXIT_REJECTED
    captured = capsys.readouterr()
    assert captured.out.strip().endswith("; 2 records rejected")
    assert [t.strip() for t in pdf_text(out / "x.pdf")] == ["Dear Ann,", "Dear Cem,", "Dear Eve,"]


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_max_rejected_fails_the_job_without_a_file_but_with_the_report(job_files, capsys, fmt):
    src, out = job_files
    target, report = out / f"x.{fmt}", out / "r.json"
    target.write_bytes(b"yesterday's run")
    argv = [src / "letter.py", src / "mixed.parquet", "-o", target, "--report", report, "--key", "customer_id"]
    assert run(*argv, "--max-rejected", "1") == EXIT_TOO_MANY_REJECTED
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "ccm: error: more than 1 record rejected (2 by record 3): the job was stopped and no print file was written"
    )
    assert target.read_bytes() == b"yesterday's run" and files(out) == ["r.json", target.name]
    saved = json.loads(report.read_text())
    assert saved["rejected_records"] == 2 and [r["key"] for r in saved["rejected"]] == ["C-101"] * 2 + ["C-103"]
    assert run(*argv, "--max-rejected", "2") == EXIT_REJECTED  # at the limit is not past it
    assert target.read_bytes() != b"yesterday's run"


def test_max_rejected_through_the_api(tmp_path):
    with pytest.raises(RejectionLimitError, match="more than 0 records rejected") as e:
        compose(DOCUMENT, DATA, tmp_path / "x.pdf", max_rejected=0, part_size=2)
    assert e.value.report.rejected_records == 1  # stopped at the first part past the limit
    assert files(tmp_path) == []
    assert compose(DOCUMENT, DATA, tmp_path / "x.pdf", max_rejected=2).documents == 3
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="max_rejected"):
            compose(DOCUMENT, DATA, tmp_path / "y.pdf", max_rejected=bad)


def test_no_documents_keeps_its_status(job_files, capsys):
    src, out = job_files
    pq.write_table(DATA.filter(pa.array([False, True, False, True, False])), src / "bad.parquet")
    assert run(src / "letter.py", src / "bad.parquet", "-o", out / "x.pdf") == EXIT_NO_DOCUMENTS
    assert files(out) == []


# ----------------------------------------------------------------- 17: the report names records


def test_report_counts_sorts_and_names_rejected_records_by_key(job_files, capsys):
    src, out = job_files
    report = out / "r.json"
    argv = [src / "letter.py", src / "mixed.parquet", "-o", out / "x.afp", "--report", report]
    assert run(*argv, "--key", "customer_id") == EXIT_REJECTED
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "rejected: record 1 (customer_id C-101): field 'name': required value is null; "
        "field 'city': required value is null",
        "rejected: record 3 (customer_id C-103): field 'city': required value is null",
    ]
    assert "3 documents" in captured.out and captured.out.strip().endswith("; 2 records rejected")
    saved = json.loads(report.read_text())
    assert saved["key"] == "customer_id" and saved["rejected_records"] == 2
    assert [(r["record"], r["key"], r["field"]) for r in saved["rejected"]] == [
        (1, "C-101", "name"),
        (1, "C-101", "city"),
        (3, "C-103", "city"),
    ]
    assert [g.pages[0].text for g in read_groups(out / "x.afp")] == ["Dear Ann,", "Dear Cem,", "Dear Eve,"]


def test_rejections_are_sorted_across_phases_and_a_null_key_is_none(tmp_path):
    from ccmcore import Barcode

    page = PageTemplate(
        "p", Frame(mm(20), mm(40), mm(170), mm(200)), [Barcode("code128", "{code}", x=mm(20), y=mm(10))]
    )
    doc = Document(flow=[Paragraph("Dear {name},")], first=page, required=["name"])
    data = pa.table({"id": ["K0", None, "K2"], "name": ["Ann", None, "Cem"], "code": ["中", "1", "2"]})
    report = compose(doc, data, tmp_path / "x.pdf", key="id")
    # the barcode of record 0 is rejected after binding rejected record 1: the report is in record order
    assert [(r.record, r.key) for r in report.rejected] == [(0, "K0"), (1, None)]
    assert str(report.rejected[0]).startswith("record 0 (K0), field ")
    assert [(rec, key, len(rs)) for rec, key, rs in report.rejections_by_record()] == [(0, "K0", 1), (1, None, 1)]
    assert [t.strip() for t in pdf_text(tmp_path / "x.pdf")][0].startswith("Dear Cem,")


def test_a_key_column_the_data_lacks_is_a_binding_error(job_files, capsys, tmp_path):
    src, out = job_files
    assert run(src / "letter.py", src / "mixed.parquet", "-o", out / "x.pdf", "--key", "custid") == EXIT_USAGE
    line = one_error_line(capsys.readouterr().err)
    assert "key column 'custid' is not a column of the data (columns: customer_id, name, city)" in line
    assert files(out) == []
    nested = DATA.append_column("items", pa.array([[1]] * 5))
    with pytest.raises(BindingError, match="'items' holds list<item: int64>"):
        compose(DOCUMENT, nested, tmp_path / "x.pdf", key="items")


def test_the_summary_counts_records_not_reasons(tmp_path):
    report = compose(DOCUMENT, DATA, tmp_path / "x.pdf")
    assert len(report.rejected) == 3 and report.rejected_records == 2
    assert report.summary().endswith("; 2 records rejected")
    assert report.key is None and all(r.key is None for r in report.rejected)


def test_more_than_twenty_rejected_records_point_to_the_report(tmp_path, capsys):
    (tmp_path / "letter.py").write_text(TEMPLATE)
    n = 25
    pq.write_table(pa.table({"name": [None] * n + ["Zoe"], "city": ["X"] * (n + 1)}), tmp_path / "d.parquet")
    assert run(tmp_path / "letter.py", tmp_path / "d.parquet", "-o", tmp_path / "x.pdf") == EXIT_REJECTED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 21 and err[-1] == "rejected: ... 5 more records (--report FILE lists them all)"
    assert err[0] == "rejected: record 0: field 'name': required value is null"


def test_empty_job_error_still_carries_sorted_named_rejections(tmp_path):
    with pytest.raises(EmptyJobError) as e:
        compose(DOCUMENT, DATA.filter(pa.array([False, True, False, True, False])), tmp_path / "x.pdf", key="name")
    assert [(r.record, r.key) for r in e.value.report.rejected] == [(0, None), (0, None), (1, "Dora")]


# ----------------------------------------------------------------- template mistakes name their line


@pytest.mark.parametrize(
    "line, says",
    [
        ('Paragraph("Dear {name},", Style(sise=9))', "Style: no argument 'sise'; did you mean 'size'?"),
        ('Paragraph("Dear {name},", Style(space_after="4 furlongs"))', "Style: space_after: '4 furlongs'"),
        ('Paragraph("Dear {name},", Style(align="rigth"))', "Style: align must be one of"),
    ],
)
def test_a_template_mistake_is_one_line_naming_the_template_line(job_files, capsys, line, says):
    src, out = job_files
    (src / "bad.py").write_text(
        f"from ccmcore import Document, Paragraph, Style\n\ndocument = Document(\n    flow=[{line}],\n)\n"
    )
    assert run(src / "bad.py", src / "good.parquet", "-o", out / "x.pdf") == EXIT_USAGE
    err = one_error_line(capsys.readouterr().err)
    assert f"bad.py:4: {says}" in err
    assert files(out) == []
