"""The CMOD generic index of a print file: every group is exactly one document.

Small PDF and AFP jobs are composed, their index written and parsed back; each group's
byte range is cut from the print file and read: a PDF document starts with its
``%ccmcore-document RECORD`` line, an AFP document is one page group (BNG ... ENG), and
the group's values are the manifest's.
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ccmcore import Document, Frame, PageTemplate, Paragraph, Style, compose
from ccmcore.afp.reader import iter_fields
from ccmcore.post.archive import CMOD_CODEPAGES, write_cmod_index
from ccmcore.reconciliation import afp_documents, pdf_documents

BNG, ENG = bytes.fromhex("D3A8AD"), bytes.fromhex("D3A9AD")

#: a short frame, so the longer texts run over several pages
DOCUMENT = Document(
    flow=[Paragraph("{name}, {postcode}: {body}", Style(size=10))],
    first=PageTemplate("p", Frame(40, 40, 200, 60)),
    tags={"Name": "{name}", "Postcode": "{postcode}"},
    required=["postcode"],
)


def _data(n: int = 6) -> pa.Table:
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit"
    return pa.table(
        {
            "account": [f"{12345 + r}" for r in range(n)],
            "name": ["Müller 42" if r == 1 else f"Name {r}" for r in range(n)],
            "postcode": [None if r == 3 else f"{20457 + r}" for r in range(n)],  # record 3 is rejected
            "body": [" ".join([words] * (1 + 4 * (r % 3))) for r in range(n)],
        }
    )


@pytest.fixture(scope="module", params=["pdf", "afp"])
def job(request, tmp_path_factory):
    """(print file, manifest) of a small job in each format."""
    out = tmp_path_factory.mktemp(request.param) / f"statements.{request.param}"
    report = compose(DOCUMENT, _data(), out, key="account")
    return out, report.manifest


def parse(path) -> tuple[str, list[dict]]:
    """(code page, groups) of an index file, checking its line order on the way: each
    group is name/value pairs, then offset, length and file name."""
    with open(path, "rb") as fh:
        data = fh.read()
    head, _, _ = data.partition(b"\n")
    assert head.startswith(b"CODEPAGE:")
    codepage = head[9:].decode("ascii")
    lines = data.decode(CMOD_CODEPAGES[int(codepage)]).split("\n")
    assert lines[-1] == ""
    groups = []
    group: dict = {"fields": []}
    expect = "GROUP_FIELD_NAME"
    for line in lines[1:-1]:
        key, _, value = line.partition(":")
        if key == "GROUP_FIELD_NAME" and expect in ("GROUP_FIELD_NAME", "GROUP_OFFSET"):
            group["fields"].append([value, None])
            expect = "GROUP_FIELD_VALUE"
        elif key == "GROUP_FIELD_VALUE" and expect == "GROUP_FIELD_VALUE":
            group["fields"][-1][1] = value
            expect = "GROUP_OFFSET"
        elif key == "GROUP_OFFSET" and expect == "GROUP_OFFSET":
            group["offset"] = int(value)
            expect = "GROUP_LENGTH"
        elif key == "GROUP_LENGTH" and expect == "GROUP_LENGTH":
            group["length"] = int(value)
            expect = "GROUP_FILENAME"
        elif key == "GROUP_FILENAME" and expect == "GROUP_FILENAME":
            group["filename"] = value
            groups.append(group)
            group, expect = {"fields": []}, "GROUP_FIELD_NAME"
        else:
            pytest.fail(f"{line!r} where {expect} was expected")
    assert expect == "GROUP_FIELD_NAME", "the file ends inside a group"
    return codepage, groups


def rendered(manifest: pa.Table) -> list[dict]:
    return manifest.filter(pc.equal(manifest.column("status"), "rendered")).sort_by("offset").to_pylist()


def test_each_group_is_exactly_one_document(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    assert write_cmod_index(manifest, print_file, path) == 5  # of six records, one rejected
    codepage, groups = parse(path)
    assert codepage == "1208"
    data = print_file.read_bytes()
    rows = rendered(manifest)
    assert [(g["offset"], g["length"]) for g in groups] == [(r["offset"], r["length"]) for r in rows]
    found, problems = (pdf_documents if print_file.suffix == ".pdf" else afp_documents)(data)
    assert not problems
    assert [(d.offset, d.length) for d in found] == [(g["offset"], g["length"]) for g in groups]
    for group, row in zip(groups, rows):
        assert group["filename"] == str(print_file)
        piece = data[group["offset"] : group["offset"] + group["length"]]
        if print_file.suffix == ".pdf":
            assert piece.startswith(b"%%ccmcore-document %d\n" % row["record"])
            assert piece.count(b"%ccmcore-document ") == 1
            assert piece.count(b"/Type/Page/") == row["pages"]
            assert piece.endswith(b"endstream\nendobj\n")
        else:
            fields = list(iter_fields(piece))  # the bytes are whole structured fields, nothing more
            assert fields[0].sfid == BNG and fields[-1].sfid == ENG
            assert [f.sfid for f in fields].count(BNG) == 1 and [f.sfid for f in fields].count(ENG) == 1
            assert int(fields[0].data[:8].decode("cp500")) == row["record"]  # the group is named by its record
            assert sum(f.abbr == "BPG" for f in fields) == row["pages"]


def test_by_default_the_key_and_every_tag_are_fields(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    write_cmod_index(manifest, print_file, path)
    _, groups = parse(path)
    for group, row in zip(groups, rendered(manifest)):
        assert group["fields"] == [["key", row["key"]], *[[k, v] for k, v in row["index"]]]
        assert [k for k, _ in group["fields"]] == ["key", "Name", "Postcode"]
    assert groups[1]["fields"][1] == ["Name", "Müller 42"]
    assert "GROUP_FIELD_VALUE:Müller 42\n".encode() in path.read_bytes()


def test_fields_name_columns_and_tags_under_cmod_names(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    fields = {"account": "key", "postcode": "Postcode", "record": "record", "pages": "pages"}
    write_cmod_index(manifest, print_file.name, path, fields=fields)
    _, groups = parse(path)
    for group, row in zip(groups, rendered(manifest)):
        assert group["filename"] == print_file.name  # the name as given
        expected = [row["key"], dict(row["index"])["Postcode"], str(row["record"]), str(row["pages"])]
        assert group["fields"] == [list(pair) for pair in zip(fields, expected)]
    write_cmod_index(manifest, print_file, path, fields=["Postcode", "sheets"])
    _, groups = parse(path)
    assert [k for k, _ in groups[0]["fields"]] == ["Postcode", "sheets"]


def test_groups_follow_the_file_not_the_manifests_row_order(job, tmp_path):
    print_file, manifest = job
    a, b = tmp_path / "a.ind", tmp_path / "b.ind"
    write_cmod_index(manifest, print_file, a)
    write_cmod_index(manifest.take(pa.array(range(manifest.num_rows - 1, -1, -1))), print_file, b)
    assert a.read_bytes() == b.read_bytes()


def test_a_code_page_other_than_utf8(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    write_cmod_index(manifest, print_file, path, codepage=819)
    assert path.read_bytes().startswith(b"CODEPAGE:819\n")
    assert b"GROUP_FIELD_VALUE:M\xfcller 42\n" in path.read_bytes()
    with pytest.raises(ValueError, match=r"^record 1: the value of the index field 'Name' \('Müller 42'\) cannot be"):
        write_cmod_index(manifest, print_file, path, codepage=367)  # ASCII
    with pytest.raises(ValueError, match="code page 1047 is not one"):
        write_cmod_index(manifest, print_file, path, codepage=1047)


def test_a_value_must_be_one_line_and_present(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    keys = manifest.column("key").to_pylist()
    broken = manifest.set_column(1, "key", pa.array([k if r != 2 else "123\n45" for r, k in enumerate(keys)]))
    with pytest.raises(ValueError, match=r"^record 2: the value of the index field 'key' holds a line break"):
        write_cmod_index(broken, print_file, path)
    missing = manifest.set_column(1, "key", pa.array([k if r != 4 else None for r, k in enumerate(keys)]))
    with pytest.raises(ValueError, match=r"^record 4: no value for the index field 'account' \(key\)$"):
        write_cmod_index(missing, print_file, path, fields={"account": "key"})
    with pytest.raises(ValueError, match="print file's name holds a line break"):
        write_cmod_index(manifest, "a\nb.pdf", path)
    assert not path.exists()


def test_unknown_fields_are_refused(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    with pytest.raises(ValueError, match=r"'Kunde' reads 'Kunde', which is neither .* \(their tags: Name, Postcode\)"):
        write_cmod_index(manifest, print_file, path, fields=["Kunde"])
    with pytest.raises(ValueError, match="named twice"):
        write_cmod_index(manifest, print_file, path, fields=["Name", "Name"])
    with pytest.raises(ValueError, match="at most 128"):
        write_cmod_index(manifest, print_file, path, fields={f"f{i}": "key" for i in range(129)})
    assert not path.exists()


def test_the_file_is_replaced_whole(job, tmp_path):
    print_file, manifest = job
    path = tmp_path / "statements.ind"
    path.write_text("old")
    with pytest.raises(ValueError):
        write_cmod_index(manifest, print_file, path, fields=["nope"])
    assert path.read_text() == "old"  # a refused index leaves the old one
    write_cmod_index(manifest, print_file, path)
    assert path.read_bytes().startswith(b"CODEPAGE:1208\n")
    assert os.listdir(tmp_path) == ["statements.ind"]  # no temporary file left beside it
