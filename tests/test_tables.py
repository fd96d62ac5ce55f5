"""Long tables: carried/brought forward sums, group headers, keep-together, orphans and
widows, striping and borders."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ccmcore import BindingError, Column, Document, Frame, PageTemplate, Style, Table, TemplateError, layout, mm, money
from ccmcore.display import GLYPHS, KIND, RECT, RULE, H, W, Y
from ccmcore.units import to_mpt


def rows_data(n, groups=None, amount=lambda i: (i + 1) * 1111 * (-1 if i % 7 == 3 else 1)):
    items = [{"g": (groups(i) if groups else "A"), "d": f"row {i}", "amt": amount(i)} for i in range(n)]
    return pa.table({"items": [items]}), items


def make_doc(body_h=mm(60), **kw):
    t = Table(
        "items",
        [Column("Description", "d", mm(60)), Column("Amount", "amt", mm(30), align="right", format=money())],
        style=Style(size=9, leading=11),
        **kw,
    )
    return Document(flow=[t], first=PageTemplate("p", Frame(mm(10), mm(10), mm(90), body_h)))


def pages_text(dl):
    return [dl.page_text(p) for p in range(dl.page_count)]


def one(doc, data):
    ((dl, bound, _),) = list(layout(doc, data))
    assert not bound.rejections
    return dl


def fmt(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def test_carried_and_brought_forward_sums():
    data, items = rows_data(60)
    dl = one(make_doc(carry="amt"), data)
    texts = pages_text(dl)
    assert len(texts) >= 3
    running = 0
    seen = 0
    for k, page in enumerate(texts):
        rows = [t for t in page if t.startswith("row ")]
        if k > 0:
            i = page.index("Brought forward")
            assert page[i + 1] == fmt(running)
            assert page.index("Amount") < i < page.index(rows[0])  # after the header, before the rows
        for r in rows:
            running += items[int(r.split()[1])]["amt"]
        seen += len(rows)
        if k < len(texts) - 1:
            assert page[-2:] == ["Carried forward", fmt(running)]
    assert seen == 60 and running == sum(i["amt"] for i in items)


def test_carry_rows_stay_inside_the_frame():
    data, _ = rows_data(80)
    dl = one(make_doc(carry="amt"), data)
    for p in range(dl.page_count):
        for it in dl.page_items(p):
            if it[KIND] == GLYPHS:
                assert it[Y] <= to_mpt(mm(10)) + to_mpt(mm(60))


def test_carry_needs_an_integer_field():
    data = pa.table({"items": [[{"d": "x", "amt": 1.5}]]})
    with pytest.raises(BindingError, match="integers"):
        one(make_doc(carry="amt"), data)


def test_group_headers_start_each_group_and_stay_with_a_row():
    data, items = rows_data(70, groups=lambda i: f"Account {i // 9}")
    dl = one(make_doc(group_by="g"), data)
    order = [t for page in pages_text(dl) for t in page if t.startswith(("Account", "row "))]
    expected = []
    for i, it in enumerate(items):
        if i == 0 or it["g"] != items[i - 1]["g"]:
            expected.append(it["g"])
        expected.append(f"row {i}")
    assert order == expected
    for page in pages_text(dl):
        body = [t for t in page if t.startswith(("Account", "row "))]
        assert not body[-1].startswith("Account"), "a group header was left alone at the foot of a page"


def test_group_header_text_from_item_fields():
    data, _ = rows_data(5, groups=lambda i: "DE89" if i < 3 else "DE12")
    dl = one(make_doc(group_by="g", group_header="Account {g} ({d})"), data)
    assert [t for t in dl.page_text(0) if t.startswith("Account")] == ["Account DE89 (row 0)", "Account DE12 (row 3)"]


def test_keep_together_groups_are_not_split():
    data, items = rows_data(60, groups=lambda i: f"k{i // 6}")
    dl = one(make_doc(keep_together="g"), data)
    where = {}
    for p, page in enumerate(pages_text(dl)):
        for t in page:
            if t.startswith("row "):
                where.setdefault(items[int(t.split()[1])]["g"], set()).add(p)
    assert all(len(pages) == 1 for pages in where.values())
    assert dl.page_count >= 3


def test_widows_keep_the_last_rows_together():
    # 12 rows where 11 fit on the first page: without widows the last row would be alone
    for widows, at_least in ((1, 1), (3, 3)):
        data, _ = rows_data(12)
        dl = one(make_doc(body_h=mm(58), widows=widows), data)
        assert dl.page_count == 2
        last_rows = [t for t in dl.page_text(1) if t.startswith("row ")]
        assert len(last_rows) >= at_least
        if widows == 1:
            assert len(last_rows) == 1


def test_orphans_move_the_table_when_too_few_rows_fit():
    from ccmcore import Paragraph

    data, _ = rows_data(10)
    filler = "\n".join("x" for _ in range(13))
    for orphans, starts_on in ((1, 0), (4, 1)):
        t = Table("items", [Column("Description", "d", mm(60))], style=Style(size=9, leading=11), orphans=orphans)
        doc = Document(
            flow=[Paragraph(filler, Style(size=9, leading=11)), t],
            first=PageTemplate("p", Frame(mm(10), mm(10), mm(90), mm(60))),
        )
        dl = one(doc, data)
        first_row_page = next(p for p in range(dl.page_count) if "row 0" in dl.page_text(p))
        assert first_row_page == starts_on


def test_stripes_and_borders():
    data, _ = rows_data(6)
    dl = one(make_doc(stripe="#eeeeee", borders=mm(0.2)), data)
    items = dl.page_items(0)
    rects = [it for it in items if it[KIND] == RECT]
    assert len(rects) == 3  # rows 1, 3, 5
    rules = [it for it in items if it[KIND] == RULE]
    # the header rule, then per body row: top, bottom, and 3 verticals for 2 columns
    assert len(rules) == 1 + 6 * 5
    texts = [it for it in items if it[KIND] == GLYPHS and dl.run_text(it) == "row 1"]
    (row1,) = texts
    stripe = rects[0]
    assert stripe[Y] < row1[Y] < stripe[Y] + stripe[H]
    assert stripe[W] == to_mpt(mm(90))
    # the stripe is drawn before (under) the row's text
    assert (
        list(items[:, 0]).index(RECT)
        < [i for i, it in enumerate(items) if it[KIND] == GLYPHS and dl.run_text(it) == "row 1"][0]
    )


def test_group_subtotals_close_each_group():
    data, items = rows_data(40, groups=lambda i: f"Account {i // 13}")
    dl = one(make_doc(group_by="g", carry="amt", group_footer="Subtotal"), data)
    texts = [t for page in pages_text(dl) for t in page]
    subtotals = [texts[i + 1] for i, t in enumerate(texts) if t == "Subtotal"]
    groups = {}
    for it in items:
        groups[it["g"]] = groups.get(it["g"], 0) + it["amt"]
    assert subtotals == [fmt(v) for v in groups.values()]
    # each subtotal follows its group's last row
    for _, last in (("Account 0", 12), ("Account 1", 25), ("Account 2", 38), ("Account 3", 39)):
        i = texts.index(f"row {last}")
        assert texts[i + 2] == "Subtotal"  # after the row's description and amount


def test_negative_carried_sum_in_bold_keeps_its_minus_sign():
    data, _ = rows_data(40, amount=lambda i: -150)
    dl = one(make_doc(carry="amt"), data)  # carry rows in the (bold) total style
    runs = [it for it in dl.page_items(0) if it[KIND] == GLYPHS]
    carried = [r for r in runs if dl.run_text(r).startswith("-")][-1]
    gids = dl.gids[carried[9] : carried[9] + carried[10]]
    assert 0 not in gids.tolist()  # no .notdef: "-" is shaped like the digits
    assert dl.run_text(carried) == fmt(-150 * len([t for t in dl.page_text(0) if t.startswith("row ")]))


def test_carried_sums_follow_each_documents_locale():
    items = [[{"d": f"row {i}", "amt": 123456} for i in range(40)]] * 2
    data = pa.table({"items": items, "lang": ["en", "de"]})
    t = Table(
        "items",
        [
            Column("Description", "d", mm(60)),
            Column("Amount", "amt", mm(30), align="right", format=money(locale_column="lang")),
        ],
        style=Style(size=9, leading=11),
        carry="amt",
    )
    doc = Document(flow=[t], first=PageTemplate("p", Frame(mm(10), mm(10), mm(90), mm(60))))
    ((dl, bound, _),) = list(layout(doc, data))
    p_en = [dl.page_text(p) for p in range(int(dl.docs[0][1]), int(dl.docs[0][1] + dl.docs[0][2]))]
    p_de = [dl.page_text(p) for p in range(int(dl.docs[1][1]), int(dl.docs[1][1] + dl.docs[1][2]))]
    en = p_en[0][p_en[0].index("Carried forward") + 1]
    de = p_de[0][p_de[0].index("Carried forward") + 1]
    assert "1,234.56" in p_en[0] and "1.234,56" in p_de[0]  # the cells
    assert en.replace(",", "").replace(".", "") == de.replace(".", "").replace(",", "")
    assert "." in en.split(",")[-1] and "," in de  # the carried row in each locale's style


def test_a_wrapped_carry_label_stays_inside_the_frame():
    data, _ = rows_data(60)
    t = Table(
        "items",
        [Column("D", "d", mm(12)), Column("Amount", "amt", mm(30), align="right", format=money())],
        style=Style(size=9, leading=11),
        carry="amt",
        carried_label="Carried forward to next page",
    )
    doc = Document(flow=[t], first=PageTemplate("p", Frame(mm(10), mm(10), mm(90), mm(60))))
    dl = one(doc, data)
    for p in range(dl.page_count):
        for it in dl.page_items(p):
            if it[KIND] == GLYPHS:
                assert it[Y] <= to_mpt(mm(10)) + to_mpt(mm(60)), dl.run_text(it)


def test_page_subtotals_above_carried_forward():
    data, items = rows_data(60)
    dl = one(make_doc(carry="amt", page_subtotal="Page total"), data)
    texts = pages_text(dl)
    running = 0
    for page in texts[:-1]:
        rows = [items[int(t.split()[1])]["amt"] for t in page if t.startswith("row ")]
        running += sum(rows)
        assert page[-4:] == ["Page total", fmt(sum(rows)), "Carried forward", fmt(running)]
    assert "Page total" not in texts[-1]
    for p in range(dl.page_count):
        for it in dl.page_items(p):
            if it[KIND] == GLYPHS:
                assert it[Y] <= to_mpt(mm(10)) + to_mpt(mm(60))


def _row_pages(dl) -> list[list[int]]:
    """The body rows ("row i") on each page, by index."""
    return [[int(t[4:]) for t in page if t.startswith("row ")] for page in pages_text(dl)]


def test_carry_per_group_carries_each_groups_own_sum():
    sizes = [5, 17, 3, 22, 9, 14]
    keys = [f"G{g}" for g, n in enumerate(sizes) for _ in range(n)]
    data, items = rows_data(len(keys), groups=lambda i: keys[i])
    doc = make_doc(
        group_by="g",
        group_header="Account {g}",
        group_continued="Account {g} (continued)",
        carry="amt",
        carry_per_group=True,
        group_footer="Subtotal",
    )
    dl = one(doc, data)
    texts, rows = pages_text(dl), _row_pages(dl)
    inside = between = 0
    for k in range(len(texts) - 1):
        last, first = rows[k][-1], rows[k + 1][0]
        page, nxt = texts[k], texts[k + 1]
        if keys[last] == keys[first]:
            own = sum(it["amt"] for it in items[: last + 1] if it["g"] == keys[last])
            # the page closes with the group's own sum; the next opens naming the group
            assert page[-2:] == ["Carried forward", fmt(own)]
            i = nxt.index("Brought forward")
            assert nxt[i - 1] == f"Account {keys[last]} (continued)" and nxt[i + 1] == fmt(own)
            inside += 1
        else:
            assert "Carried forward" not in page and "Brought forward" not in nxt
            assert not any(t.endswith("(continued)") for t in nxt)
            assert f"Account {keys[first]}" in nxt
            between += 1
    assert inside >= 3 and between >= 1
    # without carry_per_group the running sum runs across groups (the table's total so far)
    dl = one(make_doc(group_by="g", carry="amt"), data)
    rows, texts = _row_pages(dl), pages_text(dl)
    assert texts[0][-2:] == ["Carried forward", fmt(sum(it["amt"] for it in items[: rows[0][-1] + 1]))]


@pytest.mark.parametrize("first", range(1, 16))
def test_a_group_subtotal_keeps_with_its_last_two_rows(first):
    """Whatever the length of the group before it, a subtotal stands on the page of its
    group's last two rows (or of the whole group when it has fewer)."""
    keys = ["A"] * first + ["B"] * 12 + ["C"] * 1 + ["D"] * 2
    data, _ = rows_data(len(keys), groups=lambda i: keys[i])
    dl = one(make_doc(group_by="g", carry="amt", group_footer="Subtotal", carry_per_group=True), data)
    texts, rows = pages_text(dl), _row_pages(dl)
    page_of = {r: p for p, page in enumerate(rows) for r in page}
    ends = [i for i in range(len(keys)) if i + 1 == len(keys) or keys[i + 1] != keys[i]]
    subtotal_pages = [p for p, page in enumerate(texts) for t in page if t == "Subtotal"]
    assert subtotal_pages == [page_of[i] for i in ends]
    for i in ends:
        start = keys.index(keys[i])
        assert {page_of[j] for j in range(max(start, i - 1), i + 1)} == {page_of[i]}


def test_group_options_need_their_partners():
    data, _ = rows_data(3)
    with pytest.raises(TemplateError, match="carry_per_group needs group_by and carry"):
        list(layout(make_doc(carry="amt", carry_per_group=True), data))
    with pytest.raises(TemplateError, match="group_continued needs group_by"):
        list(layout(make_doc(group_continued="{g} (continued)"), data))
    with pytest.raises(TemplateError, match="carry_per_group must be"):
        make_doc(group_by="g", carry="amt", carry_per_group="yes")
