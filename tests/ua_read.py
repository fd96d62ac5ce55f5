"""Read a tagged PDF back with readers that are not ccmcore's: its structure tree with
pikepdf, and the text and marks of each page object with PDFium (pypdfium2)."""

from __future__ import annotations

import ctypes

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw


def page_objects(path) -> list[list[dict]]:
    """Per page its page objects as PDFium sees them: kind, MCID (-1: none), the names of
    the marked-content sequences around it, and its text (text objects)."""
    pdf = pdfium.PdfDocument(str(path))
    out = []
    try:
        for page in pdf:
            textpage = page.get_textpage()
            objs = []
            for k in range(raw.FPDFPage_CountObjects(page.raw)):
                obj = raw.FPDFPage_GetObject(page.raw, k)
                kind = raw.FPDFPageObj_GetType(obj)
                marks = []
                mcid = -1
                for m in range(raw.FPDFPageObj_CountMarks(obj)):
                    mark = raw.FPDFPageObj_GetMark(obj, m)
                    size = ctypes.c_ulong()
                    raw.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(size))
                    buf = ctypes.create_string_buffer(size.value)
                    raw.FPDFPageObjMark_GetName(
                        mark, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), size.value, ctypes.byref(size)
                    )
                    marks.append(buf.raw.decode("utf-16-le").rstrip("\x00"))
                    value = ctypes.c_int()
                    if raw.FPDFPageObjMark_GetParamIntValue(mark, b"MCID", ctypes.byref(value)):
                        mcid = value.value  # the mark's /MCID (older PDFium has no direct getter)
                text = ""
                if kind == raw.FPDF_PAGEOBJ_TEXT:
                    n = raw.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
                    buf = ctypes.create_string_buffer(n)
                    raw.FPDFTextObj_GetText(obj, textpage.raw, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n)
                    text = buf.raw.decode("utf-16-le").rstrip("\x00")
                objs.append({"kind": kind, "mcid": mcid, "marks": marks, "text": text})
            out.append(objs)
    finally:
        pdf.close()
    return out


def mcid_texts(objects: list[list[dict]]) -> dict[tuple[int, int], str]:
    """(page index, MCID) -> the text its text objects show, in content order."""
    texts: dict[tuple[int, int], list[str]] = {}
    for p, objs in enumerate(objects):
        for o in objs:
            if o["mcid"] >= 0 and o["text"]:
                texts.setdefault((p, o["mcid"]), []).append(o["text"])
    return {k: " ".join(v) for k, v in texts.items()}


def structure(path, objects=None) -> tuple[list[str], list[tuple[str, str]]]:
    """The structure tree as indented lines (type, attributes, and each leaf's text), and
    (type, text) of every element holding content, in the tree's (reading) order."""
    objects = objects if objects is not None else page_objects(path)
    texts = mcid_texts(objects)
    pdf = pikepdf.open(path)
    page_index = {p.objgen: i for i, p in enumerate(pdf.pages)}
    lines: list[str] = []
    leaves: list[tuple[str, str]] = []

    def mcids(elem):
        kids = elem.get("/K")
        if kids is None:
            return []
        if not isinstance(kids, pikepdf.Array):
            kids = [kids]
        page = elem.get("/Pg")
        found = []
        for k in kids:
            if isinstance(k, int):
                found.append((page_index[page.objgen], int(k)))
            elif isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/MCR":
                found.append((page_index[k.Pg.objgen], int(k.MCID)))
        return found

    def walk(elem, depth):
        kind = str(elem.S)[1:]
        attrs = ""
        a = elem.get("/A")
        if a is not None:
            attrs = " " + " ".join(f"{str(k)[1:]}={str(v).lstrip('/')}" for k, v in a.items() if k != "/O")
        if "/Alt" in elem:
            attrs += f" Alt={str(elem.Alt)!r}"
        marks = mcids(elem)
        text = " ".join(texts.get(m, "") for m in marks).strip()
        lines.append("  " * depth + kind + attrs + (f": {text}" if text else ""))
        if marks:
            leaves.append((kind, text))
        kids = elem.get("/K")
        if isinstance(kids, pikepdf.Array):
            for k in kids:
                if _is_element(k):
                    walk(k, depth + 1)
        elif _is_element(kids):
            walk(kids, depth + 1)

    walk(pdf.Root.StructTreeRoot.K, 0)
    return lines, leaves


def _is_element(obj) -> bool:
    """A structure element (its /Type is optional), not a marked-content or object reference."""
    return isinstance(obj, pikepdf.Dictionary) and "/S" in obj and obj.get("/Type") not in ("/MCR", "/OBJR")
