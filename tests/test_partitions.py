"""A distributed run without an engine: partitions composed by the one kernel, merged by ``ccm merge``.

Every claim about bytes is a comparison with a local ``compose()`` of the same data, and
every merged file is read back by ``ccm reconcile`` (and, for AFP, the validator).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import generate  # examples/invoice, put on sys.path by conftest
import numpy as np
import pikepdf
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ccmcore import MergeError, compose, compose_partition, merge_parts
from ccmcore.afp.validate import validate
from ccmcore.cli import main as ccm
from ccmcore.partitions import PARTITION_SCHEMA, RECORD_COLUMN
from ccmcore.parts import PartJob
from ccmcore.reconciliation import reconcile


@pytest.fixture(scope="module")
def data():
    return generate.generate(130, seed=5)


@pytest.fixture(scope="module")
def local(data, tmp_path_factory):
    """The local job's files, PDF and AFP, with their manifests."""
    from template import document

    d = tmp_path_factory.mktemp("local")
    out = {}
    for fmt in ("pdf", "afp"):
        report = compose(document, data, d / f"local.{fmt}", part_size=40)
        out[fmt] = (d / f"local.{fmt}", report.manifest)
    return out


def _job(data, fmt):
    from template import document

    return PartJob.compile(document, data.schema, fmt)


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_partitions_of_any_size_in_any_order_merge_to_the_local_bytes(data, local, tmp_path, fmt):
    job = _job(data, fmt)
    store = tmp_path / "store"
    rows = []
    for a, b in [(97, 130), (0, 13), (13, 97)]:  # boundaries off the part size, composed out of order
        rows.append(compose_partition(job, data.slice(a, b - a), store, record0=a, part_size=40))
    assert all(r.schema.equals(PARTITION_SCHEMA) for r in rows)
    report = merge_parts(rows, tmp_path / f"merged.{fmt}", records=130)
    path, manifest = local[fmt]
    assert (tmp_path / f"merged.{fmt}").read_bytes() == path.read_bytes()
    assert report.manifest.equals(manifest)  # offsets, checksums, the part column too
    assert reconcile(tmp_path / f"merged.{fmt}", tmp_path / f"merged.{fmt}.manifest.parquet").ok
    # parts cut at the job's boundaries, and where a partition ends: named by their first record
    names = sorted(p.name for p in store.glob("*.ccmpart"))
    assert names == [f"part-{r:012d}.ccmpart" for r in (0, 13, 40, 80, 97, 120)]
    if fmt == "afp":
        assert validate((tmp_path / "merged.afp").read_bytes()) == []


def test_a_record_column_numbers_the_records_and_is_dropped(data, local, tmp_path):
    job = _job(data, "pdf")
    numbered = data.append_column(RECORD_COLUMN, pa.array(np.arange(130), pa.int64()))
    # one partition holding two runs of records, the other the rest
    first = pa.concat_tables([numbered.slice(100, 30), numbered.slice(0, 50)])
    rows = [
        compose_partition(job, first.to_batches(max_chunksize=7), tmp_path / "s", record_column=RECORD_COLUMN),
        compose_partition(job, numbered.slice(50, 50), tmp_path / "s", record_column=RECORD_COLUMN),
    ]
    merge_parts(rows, tmp_path / "m.pdf")
    assert (tmp_path / "m.pdf").read_bytes() == local["pdf"][0].read_bytes()


def test_a_retried_partition_rewrites_its_part_files_and_counts_once(data, local, tmp_path):
    job = _job(data, "pdf")
    store = tmp_path / "store"
    compose_partition(job, data.slice(0, 70), store, record0=0)  # the attempt that "died" after writing
    rows = [compose_partition(job, data.slice(0, 70), store, record0=0)]  # the retry, whose rows count
    rows.append(compose_partition(job, data.slice(70, 60), store, record0=70))
    assert not [p for p in os.listdir(store) if p.endswith(".tmp")]
    merge_parts(rows, tmp_path / "m.pdf", records=130)
    assert (tmp_path / "m.pdf").read_bytes() == local["pdf"][0].read_bytes()


def test_print_files_are_complete_documents_of_their_own(data, tmp_path):
    job = _job(data, "pdf")
    compose_partition(job, data.slice(0, 50), tmp_path, record0=0, part_size=40, print_files=True)
    for first, n in ((0, 40), (40, 10)):
        path = tmp_path / f"part-{first:012d}.pdf"
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) >= n
        assert reconcile(path, Path(f"{path}.manifest.parquet")).ok
    job = _job(data, "afp")
    compose_partition(job, data.slice(0, 10), tmp_path / "afp", record0=0, print_files=True)
    assert validate((tmp_path / "afp" / "part-000000000000.afp").read_bytes()) == []


def test_missing_twice_and_foreign_records_are_refused_in_one_line(data, tmp_path):
    job = _job(data, "pdf")
    a = compose_partition(job, data.slice(0, 60), tmp_path / "s", record0=0)
    b = compose_partition(job, data.slice(60, 70), tmp_path / "s", record0=60)
    with pytest.raises(MergeError, match="records 0-59 are in no manifest"):
        merge_parts([b], tmp_path / "x.pdf")
    with pytest.raises(MergeError, match="record 0 is in the manifests twice"):
        merge_parts([a, a, b], tmp_path / "x.pdf")
    with pytest.raises(MergeError, match="up to 59, the job has 130: a partition's rows are missing"):
        merge_parts([a], tmp_path / "x.pdf", records=130)
    with pytest.raises(MergeError, match="the parts are PDF pages: name the output .pdf"):
        merge_parts([a, b], tmp_path / "x.afp")
    # a part file damaged in storage, or gone
    part = tmp_path / "s" / "part-000000000060.ccmpart"
    raw = bytearray(part.read_bytes())
    raw[100] ^= 0xFF
    part.write_bytes(bytes(raw))
    with pytest.raises(MergeError, match="part-000000000060.ccmpart is damaged"):
        merge_parts([a, b], tmp_path / "x.pdf")
    part.unlink()
    with pytest.raises(MergeError, match="part-000000000060.ccmpart is missing: run the partition again"):
        merge_parts([a, b], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "x.afp").exists()


def test_ccm_merge_reads_manifest_files_and_folders(data, local, tmp_path, capsys):
    job = _job(data, "pdf")
    rows_dir = tmp_path / "rows"
    rows_dir.mkdir()
    for i, (a, b) in enumerate([(0, 64), (64, 130)]):
        rows = compose_partition(job, data.slice(a, b - a), tmp_path / "store", record0=a)
        pq.write_table(rows, rows_dir / f"rows-{i}.parquet")
    out = tmp_path / "m.pdf"
    assert ccm(["merge", str(rows_dir), "-o", str(out), "--records", "130"]) == 0
    assert out.read_bytes() == local["pdf"][0].read_bytes()
    assert "130 records = 130 rendered + 0 rejected" in capsys.readouterr().out
    assert ccm(["reconcile", str(out), f"{out}.manifest.parquet"]) == 0
    assert ccm(["merge", str(rows_dir / "rows-1.parquet"), "-o", str(tmp_path / "y.pdf")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ccm: error: records 0-63 are in no manifest") and err.count("\n") == 1
    shutil.rmtree(tmp_path / "store")
    assert ccm(["merge", str(rows_dir), "-o", str(tmp_path / "z.pdf")]) == 2
    assert "is missing: run the partition again" in capsys.readouterr().err


def test_a_document_only_a_script_holds_cannot_be_sent(data, tmp_path):
    """The task would have to run the driver's whole script again to find it."""
    import sys
    import types

    from ccmcore import Document, Frame, PageTemplate, Paragraph

    made_here = Document(flow=[Paragraph("{name}")], first=PageTemplate("p", Frame(50, 50, 300, 500)))
    main = types.ModuleType("__main__")
    main.__file__ = str(tmp_path / "driver.py")
    main.document = made_here  # type: ignore[attr-defined]
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = main
    try:
        job = PartJob.compile(made_here, data.schema, "pdf")
        with pytest.raises(TypeError, match="cannot be sent to another process"):
            compose_partition(job, data.slice(0, 3), tmp_path / "s", record0=0)
    finally:
        sys.modules["__main__"] = saved


# ----------------------------------------------------------------- merged in a sort key's order


def _docs(path: Path, manifest: pa.Table) -> dict:
    """record -> the bytes of its document in the file, cut at the manifest's offsets."""
    data = path.read_bytes()
    rows = manifest.filter(pa.compute.equal(manifest.column("status"), "rendered")).to_pylist()
    return {r["record"]: data[r["offset"] : r["offset"] + r["length"]] for r in rows}


def test_merge_in_a_sort_keys_order_moves_whole_documents(data, local, tmp_path):
    import pyarrow.compute as pc
    import pypdfium2

    for fmt in ("pdf", "afp"):
        job = _job(data, fmt)
        rows = [compose_partition(job, data.slice(a, 45), tmp_path / fmt, record0=a, part_size=20) for a in (0, 45, 90)]
        out = tmp_path / f"sorted.{fmt}"
        report = merge_parts(rows, out, order_by=["Postcode"], records=130)
        manifest = report.manifest
        postcodes = [dict(i)["Postcode"] for i in manifest.column("index").to_pylist()]
        assert postcodes == sorted(postcodes) and len(set(postcodes)) > 20
        offsets = manifest.column("offset").to_pylist()
        assert offsets == sorted(offsets)  # the file holds them in that order
        assert reconcile(out, Path(f"{out}.manifest.parquet")).ok
        local_path, local_manifest = local[fmt]
        if fmt == "afp":  # an AFP document's bytes do not depend on its place: the same bytes, moved
            assert _docs(out, manifest) == _docs(local_path, local_manifest)
            assert validate(out.read_bytes()) == []
        else:  # a PDF's object numbers do: the same text on every page, moved
            first = dict(
                zip(local_manifest.column("record").to_pylist(), local_manifest.column("first_page").to_pylist())
            )
            here, there = pypdfium2.PdfDocument(out), pypdfium2.PdfDocument(local_path)
            try:
                for row in manifest.to_pylist():
                    for k in range(row["pages"]):
                        a = here[row["first_page"] + k].get_textpage().get_text_range()
                        b = there[first[row["record"]] + k].get_textpage().get_text_range()
                        assert a == b, (row["record"], k)
            finally:
                here.close()
                there.close()
            with pikepdf.open(out) as pdf:
                assert len(pdf.pages) == report.pages == int(pc.sum(manifest.column("pages")).as_py())


def test_a_sorted_statement_run_numbers_its_sheets_in_the_new_order(tmp_path):
    """The OMR sheet sequence follows the file's order, not the records'."""
    from statement_example import gen as st_gen
    from statement_example import tpl as st_tpl
    from test_job_parts import _front_page_marks

    from ccmcore.barcodes import omr_bits

    table = st_gen.generate(30, seed=4)
    job = PartJob.compile(st_tpl.document, table.schema, "pdf")
    rows = [compose_partition(job, table.slice(a, 10), tmp_path / "s", record0=a, part_size=4) for a in (0, 10, 20)]
    out = tmp_path / "st.pdf"
    report = merge_parts(rows, out, order_by="pages")  # thickest last: a production order
    manifest = report.manifest.to_pylist()
    assert [r["pages"] for r in manifest] == sorted(r["pages"] for r in manifest)
    marks = _front_page_marks(out)
    job_sheet, page = 0, 0
    for row in manifest:
        for number in range(1, row["pages"] + 1):
            if number % 2 == 1:
                job_sheet += 1
                bits = omr_bits((number + 1) // 2, (row["pages"] + 1) // 2, job_sheet, spec=st_tpl.OMR)
                assert marks[page] == [i for i, b in enumerate(bits) if b], (row["record"], number)
            page += 1


def test_rejected_records_come_last_and_an_unknown_key_is_named(data, tmp_path):
    from template import document

    names = data.column("name").to_pylist()
    names[3] = "bad\x07"  # a control character cannot be shown: rejected
    bad = data.set_column(data.schema.get_field_index("name"), "name", pa.array(names))
    job = PartJob.compile(document, bad.schema, "pdf")
    rows = [compose_partition(job, bad.slice(0, 130), tmp_path / "s", record0=0)]
    report = merge_parts(rows, tmp_path / "x.pdf", order_by="key")
    status = report.manifest.column("status").to_pylist()
    assert status[-1] == "rejected" and status.count("rejected") == 1 and report.documents == 129
    assert reconcile(tmp_path / "x.pdf", tmp_path / "x.pdf.manifest.parquet").ok
    with pytest.raises(MergeError, match="cannot order by 'zip': .* index values: Customer ID, Invoice Number"):
        merge_parts(rows, tmp_path / "y.pdf", order_by="zip")


def test_ccm_merge_orders_by_a_key(data, tmp_path, capsys):
    job = _job(data, "afp")
    pq.write_table(compose_partition(job, data, tmp_path / "s", record0=0), tmp_path / "rows.parquet")
    out = tmp_path / "m.afp"
    assert ccm(["merge", str(tmp_path / "rows.parquet"), "-o", str(out), "--order-by", "Postcode"]) == 0
    manifest = pq.read_table(f"{out}.manifest.parquet")
    postcodes = [dict(i)["Postcode"] for i in manifest.column("index").to_pylist()]
    assert postcodes == sorted(postcodes)
    assert ccm(["reconcile", str(out), f"{out}.manifest.parquet"]) == 0
    assert ccm(["merge", str(tmp_path / "rows.parquet"), "-o", str(out), "--order-by", "nope"]) == 2
    assert "cannot order by 'nope'" in capsys.readouterr().err


def test_part_files_at_an_fsspec_url(data, local, tmp_path):
    """Storage named by URL (here fsspec's in-memory file system, as s3:// or gs:// would be)."""
    fsspec = pytest.importorskip("fsspec")
    job = _job(data, "pdf")
    rows = [compose_partition(job, data.slice(a, 65), "memory://run-7/parts", record0=a) for a in (0, 65)]
    assert rows[0].column("part_file")[0].as_py().startswith("memory://run-7/parts/part-")
    fs = fsspec.filesystem("memory")
    with fs.open("memory://run-7/rows.parquet", "wb") as fh:
        pq.write_table(pa.concat_tables(rows), fh)
    merge_parts("memory://run-7/rows.parquet", tmp_path / "m.pdf", records=130)
    assert (tmp_path / "m.pdf").read_bytes() == local["pdf"][0].read_bytes()


def test_the_adapters_import_their_engine_only_when_used():
    import subprocess
    import sys

    code = (
        "import sys, ccmcore.bindings.ray, ccmcore.bindings.spark, ccmcore.bindings.dask\n"
        "print(sorted(m for m in ('ray', 'pyspark', 'dask', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
