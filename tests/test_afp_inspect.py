"""AFP inspect: golden dumps of small FOP files, text decoding, broken files, and an independent reader."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ccmcore.afp.cli import main as afp_main
from ccmcore.afp.inspect import dump, iter_dump
from ccmcore.afp.reader import SF_IDS, read_fields

DATA = Path(__file__).resolve().parent / "data" / "afp"
FOP_FILES = sorted(DATA.glob("*.afp"))


@pytest.mark.parametrize("name", ["plain", "table", "image", "ttf"])
def test_golden_dump(golden, name):
    golden(f"afp_{name}.txt", dump(DATA / f"{name}.afp"))


def test_dump_header_lines():
    lines = dump(DATA / "plain.afp").splitlines()
    assert lines[0] == "0x000000 BDT(D3A8A8) len=16 name='DOC00001'"
    headers = [line for line in lines if not line.startswith(" ")]
    assert len(headers) == len(read_fields(DATA / "plain.afp")) == 14
    assert [h.split()[1].split("(")[0] for h in headers] == [
        "BDT",
        "BNG",
        "BPG",
        "BAG",
        "MCF",
        "PGD",
        "PTD",
        "EAG",
        "BPT",
        "PTX",
        "EPT",
        "EPG",
        "ENG",
        "EDT",
    ]


def test_text_is_decoded_with_the_fonts_code_page():
    text = dump(DATA / "pages.afp")
    assert "TRN  X'DB' chained  'Page two: Grüße, naïve café.'" in text  # EBCDIC cp500 (T1V10500)
    ttf = dump(DATA / "ttf.afp")
    assert "SCFL X'F1' chained  lid=1 font='VeraBd' encoding=utf-16-be" in ttf  # MDR with CCSID 1200
    assert "TRN  X'DB' chained  '€'" in ttf
    assert "TRN  X'DB' chained  'Raster Helvetica.'" in ttf  # back to the MCF font
    assert "AttributeValue X'36': value='4711'" in ttf  # the TLE


def test_rules_are_decoded():
    text = dump(DATA / "table.afp")
    assert "DIR  X'E5' chained  length=1118 width=2+0/256" in text
    assert "DBR  X'E7' chained  length=185 width=2+0/256" in text


def test_fields_tile_the_file():
    for path in FOP_FILES:
        fields = read_fields(path)
        assert sum(f.length + 1 for f in fields) == path.stat().st_size
        assert all(f.sfid in SF_IDS for f in fields)


def test_dump_of_truncated_file_ends_with_the_error():
    buf = (DATA / "plain.afp").read_bytes()
    lines = list(iter_dump(buf[: 0xC0 + 20]))
    assert lines[-1] == "!! offset 0x0000c0: SF-TRUNCATED: the file ends inside the field: PTX needs 47 bytes, 20 left"
    assert lines[-2].startswith("0x0000af BPT(D3A89B)")


def test_dump_of_a_broken_chain_marks_it():
    buf = bytearray((DATA / "plain.afp").read_bytes())
    buf[0xED + 1] = 0xF9  # the final NOP becomes chained
    text = dump(bytes(buf))
    assert "!! 0x0000ed: PTOCA-CHAIN: the chain is not closed: NOP (X'F9') is chained but ends the PTX data" in text


def test_dump_reads_file_objects(tmp_path):
    with open(DATA / "plain.afp", "rb") as fh:
        assert "".join(line + "\n" for line in iter_dump(fh)) == dump(DATA / "plain.afp")


def test_cli_inspect(tmp_path, capsys):
    assert afp_main(["inspect", str(DATA / "plain.afp")]) == 0
    assert capsys.readouterr().out == dump(DATA / "plain.afp")
    cut = tmp_path / "cut.afp"
    cut.write_bytes((DATA / "plain.afp").read_bytes()[:100])
    assert afp_main(["inspect", str(cut)]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("!! offset 0x")
    assert afp_main(["inspect", str(tmp_path / "missing.afp")]) == 2


# ---------------------------------------------------------------------------------------------
# An independent reader: the `afp` package on PyPI (Matthew Neale, 2016), non-strict.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FOP_FILES, ids=lambda p: p.name)
def test_independent_reader_parses_every_field(path):
    afp = pytest.importorskip("afp", reason="the `afp` package (pip install afp) is not installed")
    if not hasattr(afp, "load"):
        pytest.skip("a different `afp` module is installed")
    logging.getLogger("afp").setLevel(logging.CRITICAL)
    with open(path, "rb") as fh:
        fields = afp.load(
            fh, allow_unknown_fields=True, allow_unknown_triplets=True, allow_unknown_functions=True, strict=False
        )
    ours = read_fields(path)
    assert [sf["SFTypeID"] for sf in fields] == [int.from_bytes(f.sfid, "big") for f in ours]
    assert [sf["SFLength"] for sf in fields] == [f.length for f in ours]
    # its only complaint about FOP's output: BDT carries just the name (FOP 2.8 omits the two
    # reserved bytes and triplets that its table lists as mandatory)
    notes = {(sf["SFTypeID"], msg) for sf in fields for _, msg in sf.get("_exceptions", [])}
    assert {tid for tid, _ in notes} <= {0xD3A8A8}
    # PTOCA: the same control sequences as ours
    ptx = [sf for sf in fields if sf["SFTypeID"] == 0xD3EE9B]
    assert all(isinstance(sf["PTOCAdat"], list) and sf["PTOCAdat"] for sf in ptx)
