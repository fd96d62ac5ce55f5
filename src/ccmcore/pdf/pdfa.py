"""PDF/A (ISO 19005) parts 2 and 3, conformance level B: what a file needs beyond a
plain PDF of this writer's.

The writer's files already meet most of the standard: a PDF 1.7 header with a binary
comment line, a file ID, every font embedded as a subset that keeps its glyph ids (with
``/W`` from the font's own advances and a ToUnicode map), no encryption, no actions, no
transparency groups. A PDF/A file adds:

- an XMP metadata stream, uncompressed, naming the part and level (``pdfaid:part``,
  ``pdfaid:conformance``) and repeating the Info dictionary's title, author, producer and
  dates (ISO 19005-2, 6.6);
- an output intent (``/S/GTS_PDFA1``) with an ICC profile, which makes DeviceRGB and
  DeviceGray colour device-independent (6.2.3, 6.2.4.3): the ICC's own sRGB profile,
  shipped beside this module (``sRGB2014.icc``, with its licence).

What the parts forbid that a template could ask for (CMYK colour without a CMYK profile
among them) is checked by the writer's caller before anything is composed.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from xml.sax.saxutils import escape

__all__ = ["PDF_STANDARDS", "PdfStandard", "pdf_standard", "srgb_profile", "xmp_packet", "output_intent", "FACTURX_NS"]

#: the namespace of the Factur-X / ZUGFeRD (2.1 and later) XMP properties, exactly as the
#: specification spells it (its case and its trailing '#' included)
FACTURX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"

#: characters XML 1.0 cannot hold, even escaped
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: the standards :func:`pdf_standard` knows, by the names the API and the CLI take: PDF/A
#: parts 2 and 3 (level B), PDF/UA-1 (tagged, accessible), and PDF/UA-1 with either
PDF_STANDARDS = ("pdfa-2b", "pdfa-3b", "pdfua-1", "pdfa-2b+pdfua-1", "pdfa-3b+pdfua-1")


class PdfStandard:
    """The standards a file meets: a PDF/A part and conformance level, PDF/UA, or both.

    Attributes:
        name: as given ("pdfa-2b", "pdfa-2b+pdfua-1").
        part: the PDF/A part, 2 or 3 (None: not PDF/A).
        conformance: "B" (None: not PDF/A).
        ua: the PDF/UA part, 1 (None: not PDF/UA).
    """

    __slots__ = ("name", "part", "conformance", "ua")

    def __init__(self, name: str, part: int | None, conformance: str | None, ua: int | None = None):
        self.name = name
        self.part = part
        self.conformance = conformance
        self.ua = ua

    def __repr__(self) -> str:
        return f"PdfStandard({self.name!r})"


def pdf_standard(name: str | None) -> PdfStandard | None:
    """The standard named ``name`` (None: a plain PDF).

    Raises:
        ValueError: a name that is not one of :data:`PDF_STANDARDS`.
    """
    if name is None:
        return None
    if not isinstance(name, str) or name.lower() not in PDF_STANDARDS:
        raise ValueError(f"PDF standard {name!r} is not one this writer makes: choose from {', '.join(PDF_STANDARDS)}")
    name = name.lower()
    pdfa = [p for p in name.split("+") if p.startswith("pdfa-")]
    part, level = (int(pdfa[0][5]), pdfa[0][6].upper()) if pdfa else (None, None)
    return PdfStandard(name, part, level, 1 if "pdfua-1" in name else None)


@cache
def srgb_profile() -> bytes:
    """The ICC's sRGB profile (version 2), the output intent of every PDF/A file."""
    return (resources.files(__package__) / "sRGB2014.icc").read_bytes()


def output_intent(profile: int) -> bytes:
    """The catalog's ``/OutputIntents`` array, its profile stream being object ``profile``."""
    return (
        b"[<</Type/OutputIntent/S/GTS_PDFA1/OutputConditionIdentifier(sRGB IEC61966-2.1)"
        b"/RegistryName(http://www.color.org)/Info(sRGB IEC61966-2.1)/DestOutputProfile %d 0 R>>]" % profile
    )


def _xmp_date(d: datetime) -> str:
    """An XMP date for the instant the Info dictionary's date names, in the same offset."""
    if d.tzinfo is None:
        return d.strftime("%Y-%m-%dT%H:%M:%S")
    if d.utcoffset() == timezone.utc.utcoffset(None):
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = d.strftime("%Y-%m-%dT%H:%M:%S%z")
    return text[:-2] + ":" + text[-2:]


def xmp_packet(
    standard: PdfStandard,
    *,
    title: str | None,
    author: str | None,
    producer: str | None,
    created: datetime | None,
    facturx: tuple[str, str] | None = None,
) -> bytes:
    """The XMP metadata packet of a PDF/A file, repeating the Info dictionary's entries.

    Args:
        standard: the part and level.
        title, author, producer: the Info dictionary's Title, Author and Producer (None:
            not written there, nor here).
        created: its CreationDate (also the metadata's date), or None.
        facturx: (embedded file name, conformance level) of a Factur-X / ZUGFeRD
            e-invoice: its ``fx:`` properties and, as PDF/A wants for a schema it does not
            predefine, their extension schema description.

    Returns:
        UTF-8 bytes, to be stored uncompressed.

    Raises:
        ValueError: a value holds a control character, which XML cannot carry.
    """
    for what, value in (("title", title), ("author", author), ("producer", producer)):
        if value is not None and NOT_XML.search(value):
            raise ValueError(f"the PDF's {what} {value!r} holds a control character, which PDF/A metadata cannot carry")
    described = []
    if standard.part is not None:
        described.append(
            '  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">\n'
            f"   <pdfaid:part>{standard.part}</pdfaid:part>\n"
            f"   <pdfaid:conformance>{standard.conformance}</pdfaid:conformance>\n"
            "  </rdf:Description>\n"
        )
    if standard.ua is not None:
        described.append(
            '  <rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">\n'
            f"   <pdfuaid:part>{standard.ua}</pdfuaid:part>\n"
            "  </rdf:Description>\n"
        )
    dc = ["   <dc:format>application/pdf</dc:format>\n"]
    if title is not None:
        dc.append(f'   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>\n')
    if author is not None:
        dc.append(f"   <dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>\n")
    described.append(
        '  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        + "".join(dc)
        + "  </rdf:Description>\n"
    )
    if created is not None:
        when = _xmp_date(created)
        described.append(
            '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
            f"   <xmp:CreateDate>{when}</xmp:CreateDate>\n"
            f"   <xmp:MetadataDate>{when}</xmp:MetadataDate>\n"
            "  </rdf:Description>\n"
        )
    if producer is not None:
        described.append(
            '  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n'
            f"   <pdf:Producer>{escape(producer)}</pdf:Producer>\n"
            "  </rdf:Description>\n"
        )
    schemas = []
    if standard.ua is not None and standard.part is not None:
        # PDF/A knows no pdfuaid: it must be declared, as any schema PDF/A does not predefine
        schemas.append(
            _schema(
                "PDF/UA Universal Accessibility Schema",
                "http://www.aiim.org/pdfua/ns/id/",
                "pdfuaid",
                _UA_PROPERTIES,
                "Integer",
                "internal",
            )
        )
    if facturx is not None:
        described.append(_facturx_values(*facturx))
        schemas.append(_schema("Factur-X PDFA Extension Schema", FACTURX_NS, "fx", _FX_PROPERTIES, "Text", "external"))
    if schemas:
        described.append(
            '  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
            ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">\n'
            "   <pdfaExtension:schemas>\n    <rdf:Bag>\n"
            + "".join(schemas)
            + "    </rdf:Bag>\n   </pdfaExtension:schemas>\n"
            "  </rdf:Description>\n"
        )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        + "".join(described)
        + " </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML invoice file"),
    ("DocumentType", "The type of the hybrid document: INVOICE"),
    ("Version", "The version of the Factur-X XML schema"),
    ("ConformanceLevel", "The conformance level (profile) of the embedded XML"),
)


_UA_PROPERTIES = (("part", "Indicates, which part of ISO 14289 standard is followed"),)


def _facturx_values(file_name: str, level: str) -> str:
    """The ``fx:`` properties of a Factur-X file."""
    return (
        f'  <rdf:Description rdf:about="" xmlns:fx="{FACTURX_NS}">\n'
        "   <fx:DocumentType>INVOICE</fx:DocumentType>\n"
        f"   <fx:DocumentFileName>{escape(file_name)}</fx:DocumentFileName>\n"
        "   <fx:Version>1.0</fx:Version>\n"
        f"   <fx:ConformanceLevel>{escape(level)}</fx:ConformanceLevel>\n"
        "  </rdf:Description>\n"
    )


def _schema(title: str, ns: str, prefix: str, properties, value_type: str, category: str) -> str:
    """One PDF/A extension schema description: its namespace, prefix and properties."""
    props = "".join(
        '        <rdf:li rdf:parseType="Resource">\n'
        f"         <pdfaProperty:name>{name}</pdfaProperty:name>\n"
        f"         <pdfaProperty:valueType>{value_type}</pdfaProperty:valueType>\n"
        f"         <pdfaProperty:category>{category}</pdfaProperty:category>\n"
        f"         <pdfaProperty:description>{text}</pdfaProperty:description>\n"
        "        </rdf:li>\n"
        for name, text in properties
    )
    return (
        '     <rdf:li rdf:parseType="Resource">\n'
        f"      <pdfaSchema:schema>{title}</pdfaSchema:schema>\n"
        f"      <pdfaSchema:namespaceURI>{ns}</pdfaSchema:namespaceURI>\n"
        f"      <pdfaSchema:prefix>{prefix}</pdfaSchema:prefix>\n"
        "      <pdfaSchema:property>\n       <rdf:Seq>\n" + props + "       </rdf:Seq>\n      </pdfaSchema:property>\n"
        "     </rdf:li>\n"
    )
