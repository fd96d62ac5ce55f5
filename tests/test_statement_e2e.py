"""The bank statement job end to end (examples/statement): 30 statements to PDF and AFP,
checked with real readers (qpdf via pikepdf, PDFium text and rendering, zxing-cpp) against
values formatted independently with Babel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pikepdf
import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from pdf_read import text_box_mm
from statement_example import EXAMPLE, gen, tpl

from ccmcore import compose, layout, mm
from ccmcore.afp.reader import iter_fields, parse_triplets
from ccmcore.afp.validate import validate
from ccmcore.barcodes import omr_bits
from ccmcore.display import COUNT, GLYPHS, KIND, NUMBER, RECT, TEMPLATE, H, W, X, Y
from ccmcore.units import to_mpt

ROOT = Path(__file__).resolve().parent.parent


DOCS, SEED = 30, 5
PAD_X = to_mpt(mm(1.5))  # the transactions table's cell padding (template), in millipoints
LEFT = to_mpt(tpl.LEFT)
DATE_RE = {"en": re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}$"), "de": re.compile(r"^\d{2}\.\d{2}\.\d{4}$")}
FOOTER_RE = re.compile(r"(?:Page|Seite) (\d+) (?:of|von) (\d+)")


def norm(s: str) -> str:
    """Whitespace (no-break spaces included) collapsed to single spaces."""
    return " ".join(s.split())


def amount(cents: int, lang: str) -> str:
    """An amount as the transactions table writes it (no currency sign), by Babel."""
    return format_decimal(Decimal(cents).scaleb(-2), format="#,##0.00", locale=lang)


def eur(cents: int, lang: str) -> str:
    return norm(format_currency(Decimal(cents).scaleb(-2), "EUR", locale=lang))


def label(lang: str, key: str) -> str:
    return tpl.LABELS[lang][key]


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """The sample, its Parquet file, the PDF and AFP jobs, and the display lists."""
    d = tmp_path_factory.mktemp("statement")
    table = gen.generate(DOCS, seed=SEED)
    pq.write_table(table, d / "in.parquet")
    pdf_report = compose(tpl.document, d / "in.parquet", d / "st.pdf")
    afp_report = compose(tpl.document, d / "in.parquet", d / "st.afp", format="afp")
    ((dl, _, _),) = list(layout(tpl.document, d / "in.parquet"))
    pdf = pdfium.PdfDocument(str(d / "st.pdf"))
    try:
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    return {
        "table": table,
        "rows": table.to_pylist(),
        "dir": d,
        "pdf": pdf_report,
        "afp": afp_report,
        "dl": dl,
        "texts": texts,
    }


def documents(texts: list[str]) -> list[list[str]]:
    """Pages per statement, by the 'Page n of m' footers; a blank back page (duplex padding,
    no text at all) belongs to the statement before it."""
    docs: list[list[str]] = []
    for text in texts:
        m = FOOTER_RE.findall(text)
        if not m:
            assert not text.strip(), f"a page without footer that is not blank: {text[:200]!r}"
            docs[-1].append(text)
            continue
        assert len(m) == 1
        n, total = int(m[0][0]), int(m[0][1])
        if n == 1:
            docs.append([])
        assert docs and len([p for p in docs[-1] if p.strip()]) == n - 1 and n <= total
        docs[-1].append(text)
    return docs


def dl_doc_pages(dl, d: int) -> range:
    _, p0, pn = (int(v) for v in dl.docs[d])
    return range(p0, p0 + pn)


# ---------------------------------------------------------------------- the PDF


def test_pdf_is_valid_and_duplex(job):
    report = job["pdf"]
    assert report.documents == DOCS and not report.rejected and not report.warnings
    with pikepdf.open(job["dir"] / "st.pdf") as pdf:
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.pages) == report.pages
        for page in pdf.pages:
            assert [float(v) for v in page.MediaBox] == pytest.approx([0, 0, 595.276, 841.89], abs=0.01)
    docs = documents(job["texts"])
    assert len(docs) == DOCS
    assert all(len(pages) % 2 == 0 for pages in docs), "duplex: every statement fills whole sheets"
    assert max(len(p) for p in docs) >= 6 and sum(len(p) >= 4 for p in docs) >= 3, "the sample needs long ones"


def test_every_statement_holds_its_data(job):
    docs = documents(job["texts"])
    langs = set()
    for row, pages in zip(job["rows"], docs):
        lang = row["language"]
        langs.add(lang)
        text = norm("\n".join(pages))
        tokens = set(text.split())
        assert row["name"] in text
        assert row["customer_id"] in tokens and row["statement_no"] in tokens
        assert norm(f"{row['postcode']} {row['city']}") in text
        period = (
            f"{format_date(row['period_start'], 'medium', locale=lang)} – "
            f"{format_date(row['period_end'], 'medium', locale=lang)}"
        )
        assert f"{label(lang, 'title')} · {period}" in text
        assert f"{eur(row['total_credits_cents'], lang)}" in text
        assert f"{eur(row['total_debits_cents'], lang)}" in text
        for acc in row["accounts"]:
            assert acc["account_no"] in text
            assert norm(label(lang, "group").format(account_no=acc["account_no"])) in text
            assert f"{eur(acc['opening_balance_cents'], lang)} {eur(acc['closing_balance_cents'], lang)}" in text
        for tx in row["transactions"]:
            assert amount(tx["amount_cents"], lang) in tokens, (row["statement_no"], tx)
            assert amount(tx["balance_cents"], lang) in tokens, (row["statement_no"], tx)
        assert format_date(row["transactions"][-1]["date"], "medium", locale=lang) in text
        # the column header repeats on every page the table continues on
        for page in pages[1:]:
            if label(lang, "brought") in page:
                assert " ".join(
                    label(lang, k) for k in ("tx_date", "tx_text", "tx_ref", "tx_amount", "tx_balance")
                ) in norm(page)
        # the other language's texts are not there
        other = "de" if lang == "en" else "en"
        assert label(other, "title") not in text and label(other, "tx_text") not in text
    assert langs == {"en", "de"}


def _table_rows_per_page(dl, page: int, lang: str) -> int:
    """Transactions on a page: the date cells at the left edge of the table."""
    x = LEFT + PAD_X
    return sum(
        1 for it in dl.page_items(page) if it[KIND] == GLYPHS and it[X] == x and DATE_RE[lang].match(dl.run_text(it))
    )


def _labels_at_left(dl, page: int, texts: tuple[str, ...]) -> list[tuple[str, int]]:
    """The label runs (carried / brought forward, subtotal) in the table's first column."""
    return [
        (dl.run_text(it), it[Y])
        for it in dl.page_items(page)
        if it[KIND] == GLYPHS and it[X] == LEFT + PAD_X and dl.run_text(it) in texts
    ]


def test_carried_and_brought_forward_sums_belong_to_the_account(job):
    """A page break inside an account closes with that account's own sum so far and the
    next page opens with the account named again and the same sum brought forward; a
    break between two accounts carries nothing."""
    dl, texts, rows = job["dl"], job["texts"], job["rows"]
    inside = between = 0
    for d, row in enumerate(rows):
        lang = row["language"]
        txs = row["transactions"]
        pages = list(dl_doc_pages(dl, d))
        counts = [_table_rows_per_page(dl, p, lang) for p in pages]
        assert sum(counts) == len(txs)
        carried, brought = label(lang, "carried"), label(lang, "brought")
        done = 0
        table_pages = [(p, n) for p, n in zip(pages, counts) if n]
        for k, (p, n) in enumerate(table_pages):
            done += n
            page_text = norm(texts[p])
            labels = _labels_at_left(dl, p, (carried, brought))
            continues = k + 1 < len(table_pages) and txs[done - 1]["account_no"] == txs[done]["account_no"]
            opened = k > 0 and txs[done - n - 1]["account_no"] == txs[done - n]["account_no"]
            assert [t for t, _ in labels] == [brought] * opened + [carried] * continues, (row["statement_no"], p)
            if k + 1 == len(table_pages):
                continue
            nxt = norm(texts[table_pages[k + 1][0]])
            assert table_pages[k + 1][0] == p + 1
            continued = norm(label(lang, "group_continued").format(account_no=txs[done]["account_no"]))
            if continues:
                account = txs[done]["account_no"]
                own = sum(tx["amount_cents"] for tx in txs[:done] if tx["account_no"] == account)
                # the page closes with the account's own sum, on its last line inside the frame ...
                assert f"{carried} {amount(own, lang)}" in page_text, (row["statement_no"], p)
                assert labels[-1][1] <= to_mpt(tpl.BODY_BOTTOM)
                # ... and the next opens under the repeated header with the account named again
                assert f"{label(lang, 'tx_balance')} {continued} {brought} {amount(own, lang)}" in nxt
                inside += 1
            else:
                # the next account starts with its own header, nothing carried
                assert continued not in nxt and brought not in nxt
                header = norm(label(lang, "group").format(account_no=txs[done]["account_no"]))
                assert f"{label(lang, 'tx_balance')} {header}" in nxt
                between += 1
    assert inside >= 20, "the sample should break accounts across many pages"
    assert between >= 1, "the sample should break a page between two accounts"


def test_a_subtotal_is_never_alone_on_a_page(job):
    """Each account's subtotal stands on the page of its account's last two transactions
    (or of its only one)."""
    dl, rows = job["dl"], job["rows"]
    checked = 0
    for d, row in enumerate(rows):
        lang = row["language"]
        txs = row["transactions"]
        page_of = []
        for p in dl_doc_pages(dl, d):
            page_of += [p] * _table_rows_per_page(dl, p, lang)
        subtotal = label(lang, "subtotal")
        pages_with_subtotal = [p for p in dl_doc_pages(dl, d) for _ in _labels_at_left(dl, p, (subtotal,))]
        last = [i for i in range(len(txs)) if i + 1 == len(txs) or txs[i + 1]["account_no"] != txs[i]["account_no"]]
        assert pages_with_subtotal == [page_of[i] for i in last]
        for i in last:
            if i > 0 and txs[i - 1]["account_no"] == txs[i]["account_no"]:
                assert page_of[i - 1] == page_of[i], (row["statement_no"], txs[i]["account_no"])
                checked += 1
    assert checked >= DOCS


def test_address_window_and_information_block_follow_din5008(job):
    """The first page's return line, address and information block where DIN 5008 form B
    puts them, read from the PDF (millimetres from the top-left corner, 0.5 mm tolerance)."""
    pdf = pdfium.PdfDocument(str(job["dir"] / "st.pdf"))
    try:
        checked = 0
        for row, pages in zip(job["rows"], documents(job["texts"])):
            first = job["texts"].index(pages[0])
            page = pdf[first]

            ret = text_box_mm(page, tpl.RETURN_LINE, tpl.FIRAGO)
            assert ret[0] == pytest.approx(20, abs=0.5) and ret[2] <= 105
            assert 45 <= ret[1] and ret[3] == pytest.approx(61.7, abs=0.5)  # 1 mm above the address zone
            name = text_box_mm(page, row["name"], tpl.FIRAGO)
            assert name[0] == pytest.approx(20, abs=0.5) and name[1] == pytest.approx(62.7, abs=0.5)
            country = text_box_mm(page, row["country"], tpl.FIRAGO)
            assert country[0] == pytest.approx(20, abs=0.5) and country[3] <= 90
            lang = row["language"]
            lab = text_box_mm(page, label(lang, "customer"), tpl.FIRAGO)
            assert lab[0] == pytest.approx(125, abs=0.5) and lab[1] == pytest.approx(50, abs=0.5)
            checked += 1
    finally:
        pdf.close()
    assert checked == DOCS


def test_messages_follow_their_rules(job):
    placed: dict[int, set[str]] = {}
    for record, name in job["pdf"].messages:
        placed.setdefault(record, set()).add(name)
    assert job["afp"].messages == job["pdf"].messages
    docs = documents(job["texts"])
    counts = dict.fromkeys(tpl.MESSAGES, 0)
    for r, (row, pages) in enumerate(zip(job["rows"], docs)):
        got = placed.get(r, set())
        seg, lang = row["segment"], row["language"]
        # the first-page slot always has room for its one message
        assert ("savings offer" in got) == (seg == "retail")
        assert ("private banking" in got) == (seg == "private")
        # last-page messages only where their rule holds (and only when they fit)
        if "overdraft notice" in got:
            assert seg == "business"
        text = norm("\n".join(pages))
        for name, (_, slot, _, phrases) in tpl.MESSAGES.items():
            heading = re.match(r"\*\*(.+?)\*\*", phrases[lang]).group(1)
            assert (heading in text) == (name in got), (r, name)
            other = re.match(r"\*\*(.+?)\*\*", phrases["de" if lang == "en" else "en"]).group(1)
            assert other not in text
            if name in got and slot == "offer":
                assert heading in norm(pages[0])
            counts[name] += name in got
    assert all(n > 0 for n in counts.values()), counts


# ---------------------------------------------------------------------- inserter marks


def _omr_marks(dl, page: int) -> list[int]:
    """Positions (0 = top) of the OMR marks drawn on a page."""
    spec = tpl.OMR
    x0, y0, pitch = to_mpt(tpl.OMR_X), to_mpt(tpl.OMR_Y), to_mpt(spec.pitch)
    out = []
    for it in dl.page_items(page):
        if it[KIND] == RECT and it[X] == x0 and y0 <= it[Y] < y0 + len(spec.marks) * pitch:
            assert (it[W], it[H]) == (to_mpt(spec.length), to_mpt(spec.thickness))
            assert (it[Y] - y0) % pitch == 0
            out.append((it[Y] - y0) // pitch)
    return sorted(out)


def test_omr_marks_on_every_front_page(job):
    dl = job["dl"]
    job_sheet = 0
    eoc = tpl.OMR.marks.index("eoc")
    for d in range(dl.doc_count):
        for p in dl_doc_pages(dl, d):
            number, count = int(dl.pages[p][NUMBER]), int(dl.pages[p][COUNT])
            if number % 2 == 0:
                continue  # a back page
            job_sheet += 1
            sheet, sheets = (number + 1) // 2, (count + 1) // 2
            bits = omr_bits(sheet, sheets, job_sheet, spec=tpl.OMR)
            assert _omr_marks(dl, p) == [i for i, b in enumerate(bits) if b], (d, number)
            assert bits[eoc] == (sheet == sheets)  # end of collation on the last sheet only
    assert job_sheet == job["pdf"].pages // 2


def test_no_omr_marks_on_back_pages(job):
    dl = job["dl"]
    backs = [
        p
        for p in range(dl.page_count)
        if int(dl.pages[p][NUMBER]) % 2 == 0 and dl.templates[dl.pages[p][TEMPLATE]] != "blank"
    ]
    assert backs
    assert [p for p in backs if _omr_marks(dl, p)] == []


def test_datamatrix_decodes(job):
    zxingcpp = pytest.importorskip("zxingcpp")
    dl, rows = job["dl"], job["rows"]
    longest = max(range(DOCS), key=lambda d: len(rows[d]["transactions"]))
    shortest = min(range(DOCS), key=lambda d: len(rows[d]["transactions"]))
    wanted = []
    for d in (longest, shortest):
        pages = [p for p in dl_doc_pages(dl, d) if dl.templates[dl.pages[p][TEMPLATE]] != "blank"]
        wanted += [(d, p) for p in {pages[0], pages[1 % len(pages)], pages[-1]}]
    scale = 4
    box = [int(v * scale) for v in (tpl.DM_X - mm(2), tpl.DM_Y - mm(2), tpl.DM_X + mm(16), tpl.DM_Y + mm(16))]
    pdf = pdfium.PdfDocument(str(job["dir"] / "st.pdf"))
    try:
        for d, p in sorted(set(wanted)):
            image = pdf[p].render(scale=scale).to_pil().convert("L").crop(box)
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
            number, count = int(dl.pages[p][NUMBER]), int(dl.pages[p][COUNT])
            assert [r.text for r in found] == [f"{rows[d]['customer_id']}/{number}/{count}"], (d, p)
    finally:
        pdf.close()


# ---------------------------------------------------------------------- AFP and the job


def _afp_groups(path: Path) -> list[tuple[dict, int]]:
    """(TLE attributes, pages) of each page group of an AFP file."""
    groups: list[tuple[dict, int]] = []
    for f in iter_fields(path):
        if f.abbr == "BNG":
            groups.append(({}, 0))
        elif f.abbr == "TLE" and groups:
            trips, _ = parse_triplets(f.data, 0)
            name = next(t.data[2:].decode("cp500") for t in trips if t.tid == 0x02)
            value = next(t.data[2:] for t in trips if t.tid == 0x36)
            groups[-1][0][name] = value
        elif f.abbr == "BPG":
            groups[-1] = (groups[-1][0], groups[-1][1] + 1)
    return groups


def test_afp_validates_with_one_group_per_statement(job):
    path = job["dir"] / "st.afp"
    assert validate(path) == []
    report = job["afp"]
    assert report.documents == DOCS and report.pages == job["pdf"].pages and not report.rejected
    groups = _afp_groups(path)
    assert len(groups) == DOCS
    assert [n for _, n in groups] == [len(pages) for pages in documents(job["texts"])]
    for row, (tags, _) in zip(job["rows"], groups):
        assert set(tags) == {"Customer ID", "Statement Number", "Name", "Postcode"}
        assert tags["Statement Number"].decode("cp500") == row["statement_no"]


def test_output_is_deterministic_across_batches(job, tmp_path):
    again = tmp_path / "again.pdf"
    compose(tpl.document, job["dir"] / "in.parquet", again, batch_size=7)  # sheet counter across batches
    assert again.read_bytes() == (job["dir"] / "st.pdf").read_bytes()


def test_run_script_composes_afp(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    out = tmp_path / "run.afp"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE / "run.py"), "--docs", "12", "--format", "afp", "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^documents: 12$", proc.stdout, re.M) and re.search(r"^pages/s: +[\d,]+$", proc.stdout, re.M)
    assert str(out.resolve()) in proc.stdout
    assert validate(out) == []
