"""AFP validator: accepts real AFP written by Apache FOP, rejects hand-broken files with the rule and offset."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccmcore.afp.cli import main as afp_main
from ccmcore.afp.reader import ControlSequence, iter_fields, parse_ptoca, parse_triplets, repeating_groups
from ccmcore.afp.validate import RULES, Problem, validate

DATA = Path(__file__).resolve().parent / "data" / "afp"
FOP_FILES = sorted(DATA.glob("*.afp"))


def plain() -> bytearray:
    return bytearray((DATA / "plain.afp").read_bytes())


def field_at(buf: bytes, abbr: str, index: int = 0):
    """The index-th field with this abbreviation (from our reader, on the unbroken file)."""
    found = [f for f in iter_fields(bytes(buf)) if f.abbr == abbr]
    return found[index]


def controls(buf: bytes, index: int = 0) -> list[ControlSequence]:
    ptx = field_at(buf, "PTX", index)
    items, err = parse_ptoca(ptx.data, ptx.data_offset)
    assert err is None
    return [i for i in items if isinstance(i, ControlSequence)]


def sf(hexid: str, data: bytes = b"", flags: int = 0, reserved: bytes = b"\0\0") -> bytes:
    """One structured field, built by hand (not with our writer)."""
    body = bytes.fromhex(hexid) + bytes([flags]) + reserved + data
    return b"\x5a" + (len(body) + 2).to_bytes(2, "big") + body


def nm(text: str) -> bytes:
    return text.encode("cp500")


MCF = sf(
    "D3AB8A",
    (34).to_bytes(2, "big")
    + b"\x0c\x02\x86\x00"
    + nm("C0H200A0")
    + b"\x0c\x02\x85\x00"
    + nm("T1V10500")
    + b"\x04\x26\x00\x00"
    + b"\x04\x24\x05\x01",
)
PGD = sf("D3A6AF", bytes.fromhex("00000960096000057600 07C0 000000".replace(" ", "")))
PTD = sf("D3B19B", bytes.fromhex("0000096009600005760007C00000"))


def page(objects: bytes = b"", aeg: bytes = MCF + PGD + PTD, name: str = "PGN00001") -> bytes:
    return (
        sf("D3A8AF", nm(name))
        + sf("D3A8C9", nm("AEG00001"))
        + aeg
        + sf("D3A9C9", nm("AEG00001"))
        + objects
        + sf("D3A9AF", nm(name))
    )


def text(ptoca: bytes) -> bytes:
    return sf("D3A89B", nm("PT000001")) + sf("D3EE9B", ptoca) + sf("D3A99B", nm("PT000001"))


def document(body: bytes) -> bytes:
    return sf("D3A8A8", nm("DOC00001")) + body + sf("D3A9A8", nm("DOC00001"))


HELLO = bytes.fromhex("2BD304C7006403F10104D300C807DBC885939396") + b"\x02\xf8"  # AMI SCFL AMB TRN('Hello') NOP


def first(problems: list[Problem]) -> tuple[str, int]:
    assert problems, "expected problems"
    return problems[0].rule, problems[0].offset


# ---------------------------------------------------------------------------------------------
# Accepting real AFP
# ---------------------------------------------------------------------------------------------


def test_reference_files_exist():
    assert {p.name for p in FOP_FILES} >= {"plain.afp", "pages.afp", "fonts.afp", "table.afp", "image.afp", "ttf.afp"}
    assert all(p.stat().st_size < 100_000 for p in FOP_FILES)


@pytest.mark.parametrize("path", FOP_FILES, ids=lambda p: p.name)
def test_fop_files_are_valid(path):
    assert [str(p) for p in validate(path)] == []


@pytest.mark.parametrize("path", FOP_FILES, ids=lambda p: p.name)
def test_fop_files_valid_from_bytes_and_file_objects(path):
    assert validate(path.read_bytes()) == []
    with open(path, "rb") as fh:
        assert validate(fh) == []


def test_hand_built_document_is_valid():
    assert validate(document(page(text(HELLO)))) == []


def test_end_name_wildcard_and_short_end_fields_are_accepted():
    buf = document(page(text(HELLO)))
    buf = buf.replace(sf("D3A9AF", nm("PGN00001")), sf("D3A9AF", b"\xff\xff" + nm("XXXXXX")))
    buf = buf.replace(sf("D3A9A8", nm("DOC00001")), sf("D3A9A8"))
    assert validate(buf) == []


def test_padding_and_extension_are_read():
    pad = sf("D3EEEE", b"note" + b"\0\0\x03", flags=0x08)  # 3 bytes of padding, last one its length
    ext = sf("D3EEEE", b"\x03\xab\xcd" + b"note", flags=0x80)  # 2 bytes of SFI extension data
    assert validate(document(pad + ext + page(text(HELLO)))) == []
    f = list(iter_fields(pad + ext))
    assert (f[0].data, f[0].pad) == (b"note", b"\0\0\x03")
    assert (f[1].ext, f[1].data, f[1].data_offset) == (b"\xab\xcd", b"note", len(pad) + 12)


# ---------------------------------------------------------------------------------------------
# Rejecting broken files: each asserts the rule and the offset
# ---------------------------------------------------------------------------------------------


def test_truncated_file_mid_field():
    buf = plain()
    ptx = field_at(buf, "PTX")
    problems = validate(bytes(buf[: ptx.offset + 20]))
    assert first(problems) == ("SF-TRUNCATED", ptx.offset)
    assert "UNCLOSED" in {p.rule for p in problems}


def test_truncated_file_mid_introducer():
    buf = plain()
    epg = field_at(buf, "EPG")
    assert first(validate(bytes(buf[: epg.offset + 2]))) == ("SF-TRUNCATED", epg.offset)


def test_missing_introducer():
    buf = plain()
    bpt = field_at(buf, "BPT")
    buf[bpt.offset] = 0x5B
    assert first(validate(bytes(buf))) == ("SF-INTRODUCER", bpt.offset)


def test_triplet_running_past_its_field():
    buf = plain()
    mcf = field_at(buf, "MCF")
    groups, _ = repeating_groups(mcf)
    trips, _ = parse_triplets(groups[0].data, groups[0].offset + 2)
    lid = [t for t in trips if t.tid == 0x24][0]  # the last triplet, X'24' resource local id
    buf[lid.offset] = 9  # 4 -> 9: runs 5 bytes past the group and field
    problems = validate(bytes(buf))
    assert first(problems) == ("TRIPLET-LENGTH", lid.offset)
    assert "past the end" in problems[0].message


def test_triplet_running_past_a_begin_field():
    buf = bytearray((DATA / "ttf.afp").read_bytes())
    tle = field_at(buf, "TLE")
    buf[tle.data_offset] = 0x40  # first triplet claims 64 bytes of an 18-byte field
    assert first(validate(bytes(buf))) == ("TRIPLET-LENGTH", tle.data_offset)


def test_triplet_shorter_than_two():
    buf = document(page(sf("D3A090", b"\x01\x02") + text(HELLO)))
    tle = field_at(buf, "TLE")
    assert first(validate(buf)) == ("TRIPLET-LENGTH", tle.data_offset)


def test_unclosed_page():
    buf = plain()
    bpg, epg = field_at(buf, "BPG"), field_at(buf, "EPG")
    del buf[epg.offset : epg.offset + epg.length + 1]
    problems = validate(bytes(buf))
    assert first(problems) == ("UNCLOSED", bpg.offset)
    assert "ENG" in problems[0].message
    assert len(problems) == 1


def test_unclosed_at_end_of_file():
    buf = plain()
    edt = field_at(buf, "EDT")
    problems = validate(bytes(buf[: edt.offset]))
    assert [(p.rule, p.offset) for p in problems] == [("UNCLOSED", 0)]


def test_mismatched_begin_end_names():
    buf = plain()
    epg = field_at(buf, "EPG")
    buf[epg.data_offset + 7] = ord("9".encode("cp500"))  # PGN00001 -> PGN00009
    problems = validate(bytes(buf))
    assert first(problems) == ("NAME-MISMATCH", epg.offset)
    assert "PGN00009" in problems[0].message and "PGN00001" in problems[0].message


def test_end_without_begin():
    buf = document(sf("D3A9AF", nm("PGN00001")) + page(text(HELLO)))
    assert first(validate(buf)) == ("BEGIN-END", 17)


def test_chain_missing_the_final_unchained_control_sequence():
    buf = plain()
    nop = controls(buf)[-1]
    assert nop.name == "NOP" and not nop.chained
    buf[nop.offset + 1] |= 1  # X'F8' -> X'F9': the chain now runs off the PTX
    problems = validate(bytes(buf))
    assert first(problems) == ("PTOCA-CHAIN", nop.offset)
    assert "not closed" in problems[0].message


def test_unchained_control_sequence_followed_by_more_control_data():
    buf = plain()
    ami = controls(buf)[1]
    assert ami.name == "AMI" and ami.chained
    buf[ami.offset + 1] &= 0xFE  # X'C7' -> X'C6': ends the chain too early
    problems = validate(bytes(buf))
    assert first(problems) == ("PTOCA-CHAIN", ami.offset + ami.length)
    assert "SCFL" in problems[0].message


def test_control_sequence_length_past_the_ptx():
    buf = plain()
    trn = controls(buf)[4]
    assert trn.name == "TRN"
    buf[trn.offset] = 0x60
    assert first(validate(bytes(buf))) == ("PTOCA-LENGTH", trn.offset)


def test_fixed_size_control_sequence_with_wrong_length():
    buf = document(page(text(bytes.fromhex("2BD305C7006400") + b"\x02\xf8")))
    ptx = field_at(buf, "PTX")
    assert first(validate(buf)) == ("PTOCA-FORMAT", ptx.data_offset)


def test_scfl_of_unmapped_local_id():
    buf = plain()
    scfl = controls(buf)[2]
    assert scfl.name == "SCFL"
    buf[scfl.offset + 2] = 7
    problems = validate(bytes(buf))
    assert first(problems) == ("FONT-UNMAPPED", scfl.offset)
    assert "local id 7" in problems[0].message and "mapped: 1" in problems[0].message


def test_scfl_in_a_page_without_fonts():
    buf = document(page(text(HELLO), aeg=PGD + PTD))
    ptx = field_at(buf, "PTX")
    assert first(validate(buf)) == ("FONT-UNMAPPED", ptx.data_offset + 6)


def test_wrong_pgd_unit_base():
    buf = plain()
    pgd = field_at(buf, "PGD")
    buf[pgd.data_offset + 1] = 1  # YpgBase 10 cm while XpgBase is 10 inches
    problems = validate(bytes(buf))
    assert first(problems) == ("PGD-UNITS", pgd.offset)
    assert "differ" in problems[0].message


def test_invalid_pgd_units_and_extent():
    buf = plain()
    pgd = field_at(buf, "PGD")
    buf[pgd.data_offset + 2 : pgd.data_offset + 4] = b"\0\0"  # XpgUnits 0
    buf[pgd.data_offset + 9 : pgd.data_offset + 12] = b"\0\0\0"  # YpgSize 0
    problems = [(p.rule, p.offset) for p in validate(bytes(buf))]
    assert ("PGD-UNITS", pgd.offset) in problems and ("PGD-EXTENT", pgd.offset) in problems


def test_ptd_units_differ_from_pgd():
    buf = plain()
    ptd = field_at(buf, "PTD")
    buf[ptd.data_offset + 2 : ptd.data_offset + 4] = (1440).to_bytes(2, "big")
    assert first(validate(bytes(buf))) == ("PTD-UNITS", ptd.offset)


def test_structured_field_longer_than_allowed():
    buf = plain()
    bng = field_at(buf, "BNG")
    big = b"\x5a\x80\x00" + bytes.fromhex("D3EEEE") + b"\0\0\0" + bytes(0x8000 - 8)  # SFLength 32768
    buf[bng.offset : bng.offset] = big
    problems = validate(bytes(buf))
    assert [(p.rule, p.offset) for p in problems] == [("SF-LENGTH", bng.offset)]
    assert "32768" in problems[0].message


def test_sfi_flags_reserved_bytes_and_segmentation():
    buf = plain()
    bpt, ept = field_at(buf, "BPT"), field_at(buf, "EPT")
    buf[bpt.offset + 6] = 0x01  # reserved flag bit
    buf[ept.offset + 7] = 0x12  # reserved (sequence) bytes
    problems = {(p.rule, p.offset) for p in validate(bytes(buf))}
    assert problems == {("SF-FLAGS", bpt.offset), ("SF-RESERVED", ept.offset)}
    buf = plain()
    ptx = field_at(buf, "PTX")
    buf[ptx.offset + 6] = 0x20  # "continues in the next field", but EPT follows
    assert first(validate(bytes(buf))) == ("SF-SEGMENT", ptx.offset)


def test_bad_extension_and_padding_lengths():
    ext = sf("D3EEEE", b"\x09ab", flags=0x80)
    pad = sf("D3EEEE", b"ab\x09", flags=0x08)
    problems = validate(document(ext + pad + page(text(HELLO))))
    assert [(p.rule, p.offset) for p in problems] == [("SF-EXTENSION", 17), ("SF-PADDING", 17 + len(ext))]


def test_ptx_outside_a_text_object():
    buf = document(page(sf("D3EE9B", HELLO)))
    ptx = field_at(buf, "PTX")
    problems = validate(buf)
    assert first(problems) == ("NEST", ptx.offset)
    assert "BPT" in problems[0].message


def test_page_outside_a_document():
    buf = page(text(HELLO)) + document(page(text(HELLO), name="PGN00002"))
    assert first(validate(buf)) == ("NEST", 0)


def test_aeg_order():
    buf = document(page(text(HELLO), aeg=PGD + MCF + PTD))
    mcf = field_at(buf, "MCF")
    problems = validate(buf)
    assert first(problems) == ("AEG-ORDER", mcf.offset)
    assert "precede PGD" in problems[0].message
    buf = document(page(text(HELLO), aeg=MCF + PTD))
    bag = field_at(buf, "BAG")
    assert ("AEG-ORDER", bag.offset) in {(p.rule, p.offset) for p in validate(buf)}


def test_page_must_begin_with_its_aeg():
    body = (
        sf("D3A8AF", nm("PGN00001"))
        + text(HELLO)
        + sf("D3A8C9", nm("AEG00001"))
        + MCF
        + PGD
        + PTD
        + sf("D3A9C9", nm("AEG00001"))
        + sf("D3A9AF", nm("PGN00001"))
    )
    buf = document(body)
    bpt = field_at(buf, "BPT")
    assert first(validate(buf)) == ("PAGE-AEG", bpt.offset)


def test_tle_placement():
    tle = sf("D3A090", b"\x0b\x02\x0b\x00" + nm("account") + b"\x08\x36\x00\x00" + nm("4711"))
    group = sf("D3A8AD", nm("PGP00001")) + tle + page(text(HELLO)) + sf("D3A9AD", nm("PGP00001"))
    assert validate(document(group)) == []  # TLE after BNG: fine
    assert validate(document(page(tle + text(HELLO)))) == []  # TLE in a page: fine
    late = sf("D3A8AD", nm("PGP00001")) + page(text(HELLO)) + tle + sf("D3A9AD", nm("PGP00001"))
    buf = document(late)
    assert first(validate(buf)) == ("ORDER", field_at(buf, "TLE").offset)
    buf = document(tle + page(text(HELLO)))  # not at document level
    assert first(validate(buf)) == ("NEST", 17)


def test_imm_placement():
    imm = sf("D3ABCC", nm("MM000001"))
    assert validate(document(imm + page(text(HELLO)))) == []
    buf = document(page(imm + text(HELLO)))
    assert first(validate(buf)) == ("NEST", field_at(buf, "IMM").offset)


def test_resource_group_after_the_documents():
    brg = sf("D3A8C6", nm("RG000001")) + sf("D3A9C6", nm("RG000001"))
    assert validate(brg + document(page(text(HELLO)))) == []
    buf = document(page(text(HELLO))) + brg
    assert first(validate(buf)) == ("ORDER", len(document(page(text(HELLO)))))


def test_utf16_text_must_be_whole_code_units():
    mdr = sf("D3ABC3", (2 + 6 + 5).to_bytes(2, "big") + b"\x06\x01\x00\x00\x04\xb0" + b"\x05\x02\xbe\x00\x01")
    good = "Grüße €".encode("utf-16-be")
    ptoca = bytes.fromhex("2BD303F101") + bytes([len(good) + 2, 0xDB]) + good + b"\x02\xf8"
    assert validate(document(page(text(ptoca), aeg=mdr + PGD + PTD))) == []
    odd = good[:-1]
    ptoca = bytes.fromhex("2BD303F101") + bytes([len(odd) + 2, 0xDB]) + odd + b"\x02\xf8"
    buf = document(page(text(ptoca), aeg=mdr + PGD + PTD))
    ptx = field_at(buf, "PTX")
    assert first(validate(buf)) == ("TEXT-ENCODING", ptx.data_offset + 5 + 2)
    lone = "a".encode("utf-16-be") + b"\xdc\x00"
    ptoca = bytes.fromhex("2BD303F101") + bytes([len(lone) + 2, 0xDB]) + lone + b"\x02\xf8"
    buf = document(page(text(ptoca), aeg=mdr + PGD + PTD))
    assert first(validate(buf)) == ("TEXT-ENCODING", field_at(buf, "PTX").data_offset + 5 + 2 + 2)


def test_empty_and_documentless_files():
    assert first(validate(b"")) == ("NO-DOCUMENT", 0)
    brg = sf("D3A8C6", nm("RG000001")) + sf("D3A9C6", nm("RG000001"))
    assert [p.rule for p in validate(brg)] == ["NO-DOCUMENT"]


def test_every_rule_is_documented():
    import re

    import ccmcore.afp.reader as reader
    import ccmcore.afp.validate as v

    source = Path(v.__file__).read_text() + Path(reader.__file__).read_text()
    used = set(re.findall(r'"([A-Z]+(?:-[A-Z]+)+)"', source)) | {"NEST", "ORDER", "UNCLOSED"}
    assert used <= set(RULES), used - set(RULES)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def test_cli_validate_exit_status_and_output(tmp_path, capsys):
    assert afp_main(["validate", str(DATA / "plain.afp")]) == 0
    assert "valid" in capsys.readouterr().out
    buf = plain()
    epg = field_at(buf, "EPG")
    broken = tmp_path / "broken.afp"
    broken.write_bytes(bytes(buf[: epg.offset + 12]))
    assert afp_main(["validate", str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"offset 0x{epg.offset:06x}: SF-TRUNCATED: the file ends inside the field: EPG needs 17 bytes, 12 left"
    )
    assert all(line.startswith("offset 0x") for line in out)
    assert afp_main(["validate", str(tmp_path / "missing.afp")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_prints_at_most_twenty_problems(tmp_path, capsys):
    body = b"".join(sf("D3A8AF", nm(f"PGN{i:05d}")) + sf("D3A9AF", nm(f"PGX{i:05d}")) for i in range(30))
    path = tmp_path / "many.afp"
    path.write_bytes(document(body))
    assert afp_main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 21 and out[-1].startswith("... ")


def test_segmented_ptx_continues_its_chain():
    head, tail = HELLO[:9], HELLO[9:]  # split inside the chain, after SCFL
    body = (
        sf("D3A89B", nm("PT000001"))
        + sf("D3EE9B", head, flags=0x20)
        + sf("D3EE9B", tail)
        + sf("D3A99B", nm("PT000001"))
    )
    buf = document(page(body))
    assert validate(buf) == []
    second = field_at(buf, "PTX", 1)
    broken = bytearray(buf)
    broken[second.data_offset] = 0x30  # the AMB that opens the second segment
    problems = validate(bytes(broken))
    assert first(problems) == ("PTOCA-LENGTH", second.data_offset)
