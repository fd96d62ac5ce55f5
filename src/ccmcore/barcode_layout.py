"""Internal: barcodes of page templates, encoded once each page's facts are known.

A barcode's data may hold the page number, the document's page and sheet counts and the
sheet's number in the whole job, which exist only after pagination. So after the kernel
has laid out a batch, each page template's barcodes are encoded (cached per data: repeated
symbols cost nothing) and appended to their pages as RECT items: vector fills that every
backend draws as it draws any rectangle.

The encoders (``ccmcore.barcodes``) are imported when a template has a barcode: a job
without one never loads them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .display import COUNT, DOC, NUMBER, RECORD, TAG_BARCODE, TAG_FIXED, TEMPLATE, DisplayList, pages_kept, rebuild
from .template import _color


def _encoders():
    """The barcode package, imported on first use."""
    from . import barcodes

    return barcodes


class JobSheets:
    """The running sheet counter of a job, across batches, and its OMR specs."""

    def __init__(self):
        self.sheets = 0
        self.omr_specs: dict[int, object] = {}


def _omr_spec(defn, duplex: bool, cache: dict):
    """The barcode's OmrSpec (made once per job); a duplex document reads its marks per sheet."""
    spec = cache.get(id(defn))
    if spec is None:
        spec = defn.element.options.get("spec") or _encoders().OmrSpec()
        if duplex and not spec.duplex:
            spec = replace(spec, duplex=True)
        cache[id(defn)] = spec
    return spec


_SAMPLES = {"code128": "0", "qr": "0", "datamatrix": "0", "imb": "00040123456200800001"}


def check_options(el, where: str) -> None:
    """Encode a sample with the barcode's options when the template is compiled, so a
    misspelt or impossible option (``ecc="Z"``) stops the job before anything is written
    instead of rejecting every record.

    Raises:
        TemplateError: naming the element and what the encoder said.
    """
    from .errors import TemplateError

    bc = _encoders()
    if el.kind == "omr":
        extra = set(el.options) - {"spec"}
        spec = el.options.get("spec")
        if extra or (spec is not None and not isinstance(spec, bc.OmrSpec)):
            raise TemplateError(f"{where}: an OMR barcode takes one option, spec=OmrSpec(...), not {el.options!r}")
        return
    try:
        _symbol(_Sample(el), _SAMPLES[el.kind])
    except TypeError as exc:
        raise TemplateError(f"{where}: options {el.options!r}: {exc}") from None
    except bc.BarcodeError:
        pass  # the sample's data, not the options: data is judged per record
    except ValueError as exc:
        raise TemplateError(f"{where}: {exc}") from None


class _Sample:
    def __init__(self, element):
        self.element = element


def _symbol(defn, text: str):
    bc = _encoders()
    el = defn.element
    kw = dict(el.options)
    if el.module is not None:
        kw["module"] = el.module
    if el.kind == "code128":
        if el.height is not None:
            kw["height"] = el.height
        return bc.encode_code128(text, **kw)
    if el.kind == "qr":
        return bc.encode_qr(text, **kw)
    if el.kind == "datamatrix":
        return bc.encode_datamatrix(text, **kw)
    if el.kind == "imb":
        tracking, _, routing = text.partition(" ")
        return bc.encode_imb(tracking, routing, **kw)
    raise AssertionError(el.kind)


def needs_job_sheet(defn, duplex: bool, cache: dict) -> bool:
    """Whether a barcode shows the sheet's number in the whole job."""
    if defn.element.kind == "omr":
        return any(m.startswith("seq") for m in _omr_spec(defn, duplex, cache).marks)
    return any(fact == "job_sheet" for _, _, _, fact in defn.parts)


#: stands for the job sheet number in a stamp's text until the merge knows it
JOB_SHEET = "\x00"


def add_barcodes(dl: DisplayList, program, bound, record0: int, sheets: JobSheets | None):
    """Draw every template barcode on its pages.

    Args:
        sheets: the job's running sheet count (the batches come in job order); None:
            barcodes showing the job sheet number become stamps.

    Returns:
        (display list, rejections, stamps): a document whose barcode data cannot be
        encoded is left out of the display list and reported (record, barcode, reason);
        stamps are [page row, barcode number, text with :data:`JOB_SHEET` or None (OMR)].
    """
    from .program import Rejection

    if not program.barcodes:
        return dl, [], []
    bc = _encoders()
    by_template: dict[int, list] = {}
    for defn in program.barcodes:
        by_template.setdefault(defn.template, []).append(defn)
    numbers = {id(defn): k for k, defn in enumerate(program.barcodes)}
    duplex = program.duplex
    omr_specs = sheets.omr_specs if sheets is not None else program.omr_specs
    stamped = {id(d) for d in program.barcodes if sheets is None and needs_job_sheet(d, duplex, omr_specs)}
    stamps: list[list] = []
    per_page: list[list] = []
    bad: dict[int, Rejection] = {}
    for p in range(dl.page_count):
        row = dl.pages[p]
        extra: list = []
        per_page.append(extra)
        doc_row = int(row[DOC])
        number, count = int(row[NUMBER]), int(row[COUNT])
        sheet = (number + 1) // 2 if duplex else number
        if sheets is not None and (not duplex or number % 2 == 1):
            sheets.sheets += 1
        if doc_row in bad:
            continue
        record = int(dl.docs[doc_row][RECORD])
        batch_row = record - record0
        facts = {
            "page": number,
            "pages": count,
            "sheet": sheet,
            "sheets": (count + 1) // 2 if duplex else count,
            "job_sheet": sheets.sheets if sheets is not None else JOB_SHEET,
        }
        for defn in by_template.get(int(row[TEMPLATE]), ()):
            if not all(bound.masks[r][batch_row] for r in defn.rules):
                continue
            try:
                if defn.element.kind == "omr":
                    spec = _omr_spec(defn, duplex, omr_specs)
                    if spec.duplex and number % 2 == 0:
                        continue  # the marks are read on the front of each sheet only
                    if id(defn) in stamped:
                        stamps.append([p, numbers[id(defn)], None])
                        continue
                    assert sheets is not None  # else stamped
                    sym = bc.omr_marks(page=number, pages=count, sheet=sheets.sheets, spec=spec)
                else:
                    text = "".join(
                        lit
                        if lit is not None
                        else (bound.barcode_fields[(col, id(f))][batch_row] if col is not None else str(facts[fact]))
                        for lit, col, f, fact in defn.parts
                    )
                    if id(defn) in stamped:
                        _symbol(defn, text.replace(JOB_SHEET, "9" * 9))  # the data fits with any sheet number
                        stamps.append([p, numbers[id(defn)], text])
                        continue
                    sym = _symbol(defn, text)
            except ValueError as exc:
                bad[doc_row] = Rejection(record, defn.element.label(), f"barcode cannot be encoded: {exc}")
                break
            rects = sym.items(defn.x, defn.y, _color(defn.element.color))
            tags = np.tile(np.array([-1, TAG_FIXED | TAG_BARCODE, numbers[id(defn)], -1], np.int32), (len(rects), 1))
            extra.append((rects, tags))
    if bad:
        new_row = pages_kept(dl, bad)
        stamps = [[new_row[p], b, t] for p, b, t in stamps if p in new_row]
    return rebuild(dl, per_page, set(bad)), list(bad.values()), stamps


def omr_spec_of(program, barcode: int):
    """The OmrSpec an OMR barcode of the program prints with."""
    return _omr_spec(program.barcodes[barcode], program.duplex, program.omr_specs)


def stamp_items(program, barcode: int, text: str | None, number: int, count: int, job_sheet: int) -> np.ndarray:
    """The RECT items of a stamp, now that the page's job sheet number is known.

    Args:
        barcode: the barcode's number in the program.
        text: its data with :data:`JOB_SHEET` standing for the number (None: OMR marks).
        number, count: the page's number in its document and the document's pages.
    """
    defn = program.barcodes[barcode]
    if text is None:
        spec = _omr_spec(defn, program.duplex, program.omr_specs)
        sym = _encoders().omr_marks(page=number, pages=count, sheet=job_sheet, spec=spec)
    else:
        sym = _symbol(defn, text.replace(JOB_SHEET, str(job_sheet)))
    return sym.items(defn.x, defn.y, _color(defn.element.color))
