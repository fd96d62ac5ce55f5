"""What a process loads: ``import ccmcore`` loads no dependency, a job loads what it needs.

A job's start-up time is mostly imports (see benchmarks/test_cold_start.py), so each test
runs a fresh interpreter and reads back its ``sys.modules``: a PDF job must not load the
AFP backend (nor an AFP job the PDF one), a template without barcodes or hyphenation must
not load the encoders or pyphen, and ccmcore's own conversions between Arrow and numpy or
Python values must not make pyarrow import pandas. No timing is asserted here.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest
from afp_read import read_groups

import ccmcore

ROOT = Path(__file__).resolve().parent.parent
INVOICE = ROOT / "examples" / "invoice"

#: packages no invoice job needs: optional features and other backends
NOT_FOR_A_PLAIN_JOB = ("ccmcore.barcodes", "pyphen", "fontTools", "PIL", "babel", "zxingcpp", "bidi")


def _modules_after(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter (ccmcore from this tree); it leaves its results in
    a dict ``out``; returns that dict with the names of the modules loaded at the end."""
    script = (
        textwrap.dedent(code) + "\nimport json, sys\nout['modules'] = sorted(sys.modules)\nprint(json.dumps(out))\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, env=env, cwd=str(ROOT)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _loaded(modules: list[str], *names: str) -> list[str]:
    """Which of the packages ``names`` (or a module inside one) are among ``modules``."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.fixture(scope="module")
def invoices(tmp_path_factory) -> Path:
    import generate  # examples/invoice/generate.py (tests/conftest.py puts it on the path)

    path = tmp_path_factory.mktemp("lazy") / "invoices.parquet"
    generate.write_parquet(str(path), 3, 42)
    return path


def test_import_ccmcore_loads_no_dependency():
    out = _modules_after("import ccmcore\nout = {'version': ccmcore.__version__}")
    mods = out["modules"]
    assert out["version"] == ccmcore.__version__
    assert _loaded(mods, "pyarrow", "numpy", "pandas", "uharfbuzz", *NOT_FOR_A_PLAIN_JOB) == []
    assert [m for m in mods if m.startswith("ccmcore.")] == []


def test_every_public_name_is_its_modules_object():
    from ccmcore import _HOMES

    assert sorted(_HOMES) == sorted(ccmcore.__all__)
    for name in ccmcore.__all__:
        home = importlib.import_module(_HOMES[name], "ccmcore")
        assert getattr(ccmcore, name) is getattr(home, name), name
    assert set(ccmcore.__all__) <= set(dir(ccmcore))
    with pytest.raises(AttributeError, match="has no attribute 'Documnet'"):
        ccmcore.Documnet  # noqa: B018  (the attribute access is the test)


def test_star_import_in_a_fresh_process_gives_every_name():
    out = _modules_after(
        """
        import ccmcore
        names = {}
        exec("from ccmcore import *", names)
        out = {"missing": sorted(set(ccmcore.__all__) - set(names))}
        """
    )
    assert out["missing"] == []


_JOB = """
import sys
sys.path.insert(0, {invoice!r})
import ccmcore
from template import document
report = ccmcore.compose(document, sys.argv[1], sys.argv[2])
out = {{"documents": report.documents, "pages": report.pages}}
"""


def test_a_pdf_job_loads_neither_the_afp_backend_nor_optional_packages(invoices, tmp_path):
    pdf = tmp_path / "invoices.pdf"
    out = _modules_after(_JOB.format(invoice=str(INVOICE)), str(invoices), str(pdf))
    mods = out["modules"]
    assert "ccmcore.pdf.writer" in mods  # the job did run its backend
    assert _loaded(mods, "ccmcore.afp", *NOT_FOR_A_PLAIN_JOB) == []
    assert out["documents"] == 3
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == out["pages"] >= 3
    first_name = pq.read_table(invoices, columns=["name"]).column("name")[0].as_py()
    assert first_name in doc[0].get_textpage().get_text_range()


def test_an_afp_job_loads_neither_the_pdf_backend_nor_optional_packages(invoices, tmp_path):
    afp = tmp_path / "invoices.afp"
    out = _modules_after(_JOB.format(invoice=str(INVOICE)), str(invoices), str(afp))
    mods = out["modules"]
    assert "ccmcore.afp.writer" in mods
    assert _loaded(mods, "ccmcore.pdf", *NOT_FOR_A_PLAIN_JOB) == []
    assert out["documents"] == 3
    groups = read_groups(afp)
    assert len(groups) == 3 and sum(len(g.pages) for g in groups) == out["pages"]


def test_a_template_with_a_barcode_or_hyphenation_loads_what_it_uses(tmp_path):
    out = _modules_after(
        """
        import sys
        import ccmcore
        from ccmcore import Barcode, Document, Frame, PageTemplate, Paragraph, Style, mm
        code = Barcode("code128", "{id}", x=mm(20), y=mm(250))
        page = PageTemplate("p", Frame(mm(20), mm(20), mm(170), mm(200)), [code])
        doc = Document(flow=[Paragraph("{id} Silbentrennungsregeln", Style(hyphenate="de"))], first=page)
        report = ccmcore.compose(doc, sys.argv[1], sys.argv[2])
        out = {"documents": report.documents}
        """,
        str(_ids_parquet(tmp_path)),
        str(tmp_path / "codes.pdf"),
    )
    assert out["documents"] == 2
    assert _loaded(out["modules"], "ccmcore.barcodes", "pyphen") == ["ccmcore.barcodes", "pyphen"]


def _ids_parquet(tmp_path: Path) -> Path:
    import pyarrow as pa

    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": ["A-1", "B-2"]}), path)
    return path


def test_ccmcores_own_arrow_conversions_do_not_import_pandas(invoices):
    """Rules, formats and the details join convert between Arrow and numpy or Python values
    without pyarrow's pandas integration (ccmcore.arrow_values), which imports pandas."""
    out = _modules_after(
        """
        import sys
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq
        from ccmcore import col, date, lit, money, number
        from ccmcore.arrow_values import from_numpy, scalar, strings, to_numpy
        batch = next(pq.ParquetFile(sys.argv[1]).iter_batches())  # as a job reads (read_table loads pandas)
        rule = ((col("segment") == "business") | col("segment").isin(["private", "premium"])) & ~col("name").is_null()
        masks = [to_numpy(r.mask(batch)).tolist() for r in (rule, lit(True), lit(None), col("customer_id") != "x")]
        items = batch.column("items").flatten()
        amounts = items.field("amount_cents")
        locales = strings([("de", "en")[i % 2] for i in range(len(amounts))])
        texts = [
            money(currency=" EUR", currency_after=True).apply(amounts).to_pylist()[:2],
            money(unit="major", decimals=2).apply(from_numpy(np.array([1.5, np.nan]))).to_pylist(),
            date("%d.%m.%Y").apply(items.field("date")).to_pylist()[:1],
            number(decimals=1).apply(from_numpy(np.array([1234.56, 7.0]))).to_pylist(),
            money(locale="de").apply(amounts, locale=locales).to_pylist()[:2],
        ]
        made = [scalar(None, pa.float64()).is_valid, scalar(7).as_py(), strings(["ä"]).to_pylist()]
        out = {"pandas": "pandas" in sys.modules, "masks": masks, "texts": texts, "made": made}
        """,
        str(invoices),
    )
    assert out["pandas"] is False
    assert out["masks"][1] == [True] * 3 and out["masks"][2] == [False] * 3
    assert out["masks"][3] == [True] * 3
    assert out["made"] == [False, 7, ["ä"]]
    assert all(t for t in out["texts"])


def test_a_job_does_not_import_pandas(invoices, tmp_path):
    out = _modules_after(_JOB.format(invoice=str(INVOICE)), str(invoices), str(tmp_path / "invoices.pdf"))
    assert out["documents"] == 3
    assert _loaded(out["modules"], "pandas") == []
