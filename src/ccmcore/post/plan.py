"""The mail-piece plan: how composed documents become envelopes, in which order, in which file.

    plan = MailPlan(
        household=Address("Name", "Street", "Postcode", "City"),
        envelope=Envelope("C5 window", capacity=8, weight=4.5),
        oversize=Envelope("C4", capacity=60, weight=15, min_class="Großbrief"),
        inserts=[Insert("premium leaflet", weight=3.2, feeder=1, when=col("Segment") == "premium")],
        postage=DEUTSCHE_POST_LETTERS,
        sort_by=["Postcode"],
        split_by="class",
        marks=[OmrMarks(mm(4), mm(100)), PieceCode(mm(4), mm(200))],
    )
    report = compose(document, "statements.parquet", "out/statements.pdf", mail=plan)

A plan works on what composition leaves behind: each document's pages and sheets (from
the manifest) and its index values (the template's ``tags``), so it plans the same for
PDF and AFP and for local and distributed runs. Rules and keys name a document's values by
the tag names, or the manifest columns ``key``, ``record``, ``pages`` and ``sheets``.

The file form (``ccm compose ... --mail plan.json``) is a JSON object with the same
fields: see :meth:`MailPlan.from_dict`.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..barcodes import OmrSpec
from ..errors import CcmError
from ..rules import Rule, col
from ..units import points, to_mpt

__all__ = [
    "MailPlan",
    "Envelope",
    "Insert",
    "PostageClass",
    "Address",
    "OmrMarks",
    "PieceCode",
    "MailPlanError",
    "DEUTSCHE_POST_LETTERS",
    "A4_SHEET_AREA",
]


class MailPlanError(CcmError, ValueError):
    """A mail plan that cannot work: raised before anything is composed, naming the field."""


def _text(v, where: str) -> None:
    if not isinstance(v, str) or not v:
        raise MailPlanError(f"{where} must be a non-empty text")


def _positive(v, where: str, zero: bool = False) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (v == 0 and not zero):
        raise MailPlanError(f"{where} must be a number > 0" if not zero else f"{where} must be a number >= 0")


#: an A4 sheet's area in square metres (210 mm x 297 mm)
A4_SHEET_AREA = 0.210 * 0.297


@dataclass(frozen=True)
class PostageClass:
    """One postage tier: pieces up to ``max_weight`` grams (and ``max_thickness`` mm) pay
    ``price_cents``.

    Attributes:
        name: the class's name, as the report and the split outputs show it.
        max_weight: heaviest piece of the class, in grams.
        price_cents: the postage of one piece, in cents.
        max_thickness: thickest piece of the class, in millimetres (None: no limit).
    """

    name: str
    max_weight: float
    price_cents: int
    max_thickness: float | None = None

    def __post_init__(self):
        _text(self.name, "PostageClass.name")
        _positive(self.max_weight, f"PostageClass {self.name!r}: max_weight")
        if isinstance(self.price_cents, bool) or not isinstance(self.price_cents, int) or self.price_cents < 0:
            raise MailPlanError(f"PostageClass {self.name!r}: price_cents must be a whole number >= 0")
        if self.max_thickness is not None:
            _positive(self.max_thickness, f"PostageClass {self.name!r}: max_thickness")


#: Deutsche Post's letter tiers within Germany (prices of 2025, in cents): an example of
#: configurable tiers, not a tariff service: check the prices of the day
DEUTSCHE_POST_LETTERS = (
    PostageClass("Standardbrief", 20, 95, max_thickness=5),
    PostageClass("Kompaktbrief", 50, 110, max_thickness=10),
    PostageClass("Großbrief", 500, 180, max_thickness=20),
    PostageClass("Maxibrief", 1000, 290, max_thickness=50),
)


@dataclass(frozen=True)
class Envelope:
    """An envelope: how many sheets it holds and what it weighs.

    Attributes:
        name: its name (the pieces table and the inserter file show it).
        capacity: the most sheets it holds (inserts not counted).
        weight: the empty envelope's weight in grams.
        min_class: the cheapest postage class it may go as (a large envelope is a
            Großbrief whatever it weighs), by name.
    """

    name: str
    capacity: int
    weight: float = 5.0
    min_class: str | None = None

    def __post_init__(self):
        _text(self.name, "Envelope.name")
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int) or self.capacity < 1:
            raise MailPlanError(f"Envelope {self.name!r}: capacity must be a whole number of sheets >= 1")
        _positive(self.weight, f"Envelope {self.name!r}: weight", zero=True)


@dataclass(frozen=True, eq=False)
class Insert:
    """A leaflet or card added to the pieces whose documents meet a rule.

    Attributes:
        name: the insert's name.
        weight: its weight in grams.
        feeder: the inserter feeder that adds it (1, 2, ...): fired in the mail run data
            file and by ``feedN`` OMR marks.
        when: a rule on a document's values (``col("Segment") == "premium"``); a piece
            gets the insert when any of its documents meets it. None: every piece.
    """

    name: str
    weight: float
    feeder: int
    when: Rule | None = None

    def __post_init__(self):
        _text(self.name, "Insert.name")
        _positive(self.weight, f"Insert {self.name!r}: weight", zero=True)
        if isinstance(self.feeder, bool) or not isinstance(self.feeder, int) or not 1 <= self.feeder <= 16:
            raise MailPlanError(f"Insert {self.name!r}: feeder must be a feeder number 1-16")
        if self.when is not None and not isinstance(self.when, Rule):
            raise MailPlanError(f"Insert {self.name!r}: when must be a rule such as col('Segment') == 'premium'")


@dataclass(frozen=True)
class Address:
    """Householding by normalised address: documents whose address fields agree once case,
    accents, punctuation and spacing are set aside (and "Straße" / "Str." are one word)
    go to one household.

    Attributes:
        fields: the documents' values making up the address (tag names).
    """

    fields: tuple[str, ...]

    def __init__(self, *fields: str | Sequence[str]):
        if len(fields) == 1 and not isinstance(fields[0], str):
            fields = tuple(fields[0])
        if not fields or not all(isinstance(f, str) and f for f in fields):
            raise MailPlanError("Address: name the address's fields, e.g. Address('Street', 'Postcode', 'City')")
        object.__setattr__(self, "fields", tuple(fields))


@dataclass(frozen=True)
class OmrMarks:
    """OMR marks the merge draws on the front of every sheet of a piece: sheet n of m of
    the piece (end of collation on its last sheet), the running sheet sequence of the
    output file and the feeders the piece's inserts need (``feedN`` marks).

    Attributes:
        x, y: the top-left corner of the first mark (points, or a length with a unit).
        spec: the marks' layout (:class:`ccmcore.barcodes.OmrSpec`).
    """

    x: float | str
    y: float | str
    spec: OmrSpec = field(default_factory=OmrSpec)

    def __post_init__(self):
        for name in ("x", "y"):
            object.__setattr__(self, name, points(getattr(self, name), f"OmrMarks: {name}"))
        if not isinstance(self.spec, OmrSpec):
            raise MailPlanError("OmrMarks: spec must be an OmrSpec")


#: the values a piece code's data may show
PIECE_FIELDS = ("piece", "sheet", "sheets", "job_sheet", "feeds", "documents")


@dataclass(frozen=True)
class PieceCode:
    """A 2D code the merge draws on the front of every sheet of a piece, for the
    inserter's camera: by default the piece id, the sheet's number in the piece and the
    piece's sheet count (``"{piece:08d}{sheet:02d}{sheets:02d}"``).

    Attributes:
        x, y: the code's top-left corner.
        data: a format string over ``piece``, ``sheet``, ``sheets``, ``job_sheet`` (the
            sheet's number in its output file), ``feeds`` (the feeder bits) and ``documents``.
        kind: "datamatrix" (default), "qr" or "code128".
        module: the module size (None: the encoder's default).
    """

    x: float | str
    y: float | str
    data: str = "{piece:08d}{sheet:02d}{sheets:02d}"
    kind: str = "datamatrix"
    module: float | str | None = None

    def __post_init__(self):
        for name in ("x", "y"):
            object.__setattr__(self, name, points(getattr(self, name), f"PieceCode: {name}"))
        if self.module is not None:
            object.__setattr__(self, "module", points(self.module, "PieceCode: module"))
        if self.kind not in ("datamatrix", "qr", "code128"):
            raise MailPlanError(f"PieceCode: kind must be 'datamatrix', 'qr' or 'code128', not {self.kind!r}")
        names = {f for _, f, _, _ in string.Formatter().parse(self.data) if f is not None}
        unknown = names - set(PIECE_FIELDS)
        if unknown:
            raise MailPlanError(
                f"PieceCode: data {self.data!r} names {', '.join(sorted(unknown))}; "
                f"it may show {', '.join(PIECE_FIELDS)}"
            )
        try:
            self.text(piece=99999999, sheet=99, sheets=99, job_sheet=999999, feeds=255, documents=99)
        except (ValueError, KeyError, IndexError) as exc:
            raise MailPlanError(f"PieceCode: data {self.data!r}: {exc}") from None

    def text(self, **values: int) -> str:
        """The code's data for one sheet."""
        return self.data.format(**values)

    @property
    def x_mpt(self) -> int:
        return to_mpt(self.x)

    @property
    def y_mpt(self) -> int:
        return to_mpt(self.y)


@dataclass(frozen=True, eq=False)
class MailPlan:
    """How documents go into envelopes, in which order and into which output files.

    Attributes:
        household: documents of one recipient in one piece: a document value (a tag
            such as ``"Customer ID"``, or ``"key"``) or an :class:`Address`. None: a
            piece per document.
        envelope: the standard envelope.
        oversize: what happens to a document with more sheets than ``envelope`` holds:
            ``"split"`` (over several pieces of at most ``capacity`` sheets each, with
            consecutive ids) or a larger :class:`Envelope` (its own stream; split over
            several of those when it holds even fewer). A household too thick for one
            envelope goes in several, a whole document in each where it can.
        inserts: :class:`Insert` s added by rule.
        paper_weight: paper grammage in g/m².
        sheet_area: a sheet's area in m² (A4 by default).
        sheet_thickness: a sheet's thickness in mm (for the classes' thickness limits).
        postage: the postage classes, cheapest first (:data:`DEUTSCHE_POST_LETTERS`).
            A piece too heavy or thick for every class is diverted (``divert`` in the
            pieces table and the inserter file).
        currency: the currency of the prices.
        sort_by: the order of the pieces within an output: document values (of the
            piece's first document), or the piece columns ``class``, ``sheets``,
            ``weight``, ``envelope``; ties keep the first document's record order.
        split_by: one output file per value of this: ``"class"``, ``"envelope"``, or a
            document value (``"Country"``); None: one output.
        marks: :class:`OmrMarks` and :class:`PieceCode` drawn on every sheet's front.
        divert: a rule on documents; a piece holding one is flagged to be diverted
            (outsorted) by the inserter.
        cover: a :class:`~ccmcore.Document` composed as a cover sheet on top of the
            pieces ``cover_when`` picks, from the piece's values (see
            :mod:`ccmcore.post.covers`): one sheet, drawn with the document's own fonts
            and overlays, counted in the piece's sheets and weight.
        cover_when: "household" (pieces of more than one document) or "always".
    """

    household: str | Address | None = None
    envelope: Envelope = field(default_factory=lambda: Envelope("C5/6", capacity=8, weight=5.0))
    oversize: str | Envelope = "split"
    inserts: Sequence[Insert] = ()
    paper_weight: float = 80.0
    sheet_area: float = A4_SHEET_AREA
    sheet_thickness: float = 0.1
    postage: Sequence[PostageClass] = DEUTSCHE_POST_LETTERS
    currency: str = "EUR"
    sort_by: Sequence[str] = ()
    split_by: str | None = None
    marks: Sequence[OmrMarks | PieceCode] = ()
    divert: Rule | None = None
    cover: Any = None
    cover_when: str = "household"

    def __post_init__(self):
        if isinstance(self.sort_by, str):
            object.__setattr__(self, "sort_by", (self.sort_by,))
        for name in ("inserts", "postage", "sort_by", "marks"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.household is not None and not isinstance(self.household, (str, Address)):
            raise MailPlanError("MailPlan: household must be a document value's name or an Address(...)")
        if not isinstance(self.envelope, Envelope):
            raise MailPlanError("MailPlan: envelope must be an Envelope(...)")
        if self.oversize != "split" and not isinstance(self.oversize, Envelope):
            raise MailPlanError("MailPlan: oversize must be 'split' or a larger Envelope(...)")
        if isinstance(self.oversize, Envelope) and self.oversize.capacity <= self.envelope.capacity:
            raise MailPlanError(
                f"MailPlan: the oversize envelope {self.oversize.name!r} holds {self.oversize.capacity} sheets, "
                f"no more than {self.envelope.name!r} ({self.envelope.capacity})"
            )
        for i in self.inserts:
            if not isinstance(i, Insert):
                raise MailPlanError(f"MailPlan: inserts must be Insert(...) values, not {i!r}")
        feeders = [i.feeder for i in self.inserts]
        if len(set(feeders)) != len(feeders):
            raise MailPlanError("MailPlan: two inserts use the same feeder")
        if not self.postage:
            raise MailPlanError("MailPlan: give at least one postage class")
        weights = [c.max_weight for c in self.postage]
        if weights != sorted(weights) or len({c.name for c in self.postage}) != len(weights):
            raise MailPlanError("MailPlan: postage classes must have distinct names, lightest first")
        for env in (self.envelope, self.oversize):
            if isinstance(env, Envelope) and env.min_class is not None:
                if env.min_class not in {c.name for c in self.postage}:
                    raise MailPlanError(f"Envelope {env.name!r}: min_class {env.min_class!r} is no postage class")
        _positive(self.paper_weight, "MailPlan: paper_weight")
        _positive(self.sheet_area, "MailPlan: sheet_area")
        _positive(self.sheet_thickness, "MailPlan: sheet_thickness")
        if self.split_by is not None:
            _text(self.split_by, "MailPlan: split_by")
        for k in self.sort_by:
            _text(k, "MailPlan: sort_by")
        for m in self.marks:
            if not isinstance(m, (OmrMarks, PieceCode)):
                raise MailPlanError(f"MailPlan: marks must be OmrMarks or PieceCode values, not {m!r}")
        from ..template import Document

        if self.cover is not None and not isinstance(self.cover, Document):
            raise MailPlanError("MailPlan: cover must be a Document (the cover sheet)")
        if self.cover_when not in ("household", "always"):
            raise MailPlanError(f"MailPlan: cover_when must be 'household' or 'always', not {self.cover_when!r}")
        if self.cover is not None and self.envelope.capacity < 2:
            raise MailPlanError("MailPlan: a cover sheet needs an envelope that holds at least 2 sheets")
        if self.divert is not None and not isinstance(self.divert, Rule):
            raise MailPlanError("MailPlan: divert must be a rule such as col('Country') != 'DE'")

    @property
    def sheet_weight(self) -> float:
        """One sheet's weight in grams."""
        return self.paper_weight * self.sheet_area

    def values(self) -> set[str]:
        """The document values the plan reads (to check against the documents' tags)."""
        out: set[str] = set()
        if isinstance(self.household, str):
            out.add(self.household)
        elif isinstance(self.household, Address):
            out.update(self.household.fields)
        for rule in [i.when for i in self.inserts] + [self.divert]:
            if rule is not None:
                out.update(rule.columns())
        out.update(k for k in self.sort_by if k not in PIECE_COLUMNS)
        if self.split_by is not None and self.split_by not in PIECE_COLUMNS:
            out.add(self.split_by)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base: str | os.PathLike | None = None) -> MailPlan:
        """A plan from its file form: a JSON object.

        ``{"household": "Customer ID" | {"address": ["Street", "Postcode", "City"]},
        "envelope": {"name": "C5", "capacity": 8, "weight": 4.5},
        "oversize": "split" | {"name": "C4", "capacity": 60, "weight": 15, "min_class": "Großbrief"},
        "inserts": [{"name": "leaflet", "weight": 3.2, "feeder": 1, "when": {"Segment": "premium"}}],
        "paper_weight": 80, "postage": "deutsche-post" | [{"name": ..., "max_weight": ...,
        "price_cents": ..., "max_thickness": ...}], "sort_by": ["Postcode"], "split_by": "class",
        "divert": {"Country": ["FR", "NL"]}, "marks": [{"omr": {"x": "4mm", "y": "100mm",
        "marks": [...]}}, {"code": {"x": "4mm", "y": "200mm", "data": "..."}}]}``

        ``"cover": "covers.py:cover"`` names the cover sheet's Document as ``ccm compose``
        names a template (relative to ``base``, the plan file's folder).

        A condition (``when``, ``divert``) is an object of value -> text (equal), list of
        texts (one of them) or ``{"not": text or list}``, all of which must hold.

        Raises:
            MailPlanError: an unknown field or a value that does not fit, named.
        """
        if not isinstance(d, Mapping):
            raise MailPlanError("a mail plan file holds a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise MailPlanError(f"mail plan: unknown field {sorted(unknown)[0]!r} (fields: {', '.join(sorted(known))})")
        kw: dict[str, Any] = {}
        try:
            for k, v in d.items():
                if k == "household":
                    kw[k] = Address(*v["address"]) if isinstance(v, Mapping) else v
                elif k == "envelope":
                    kw[k] = Envelope(**v)
                elif k == "oversize":
                    kw[k] = v if isinstance(v, str) else Envelope(**v)
                elif k == "inserts":
                    kw[k] = [Insert(**{**i, "when": _condition(i.get("when"), f"insert {i.get('name')!r}")}) for i in v]
                elif k == "postage":
                    kw[k] = DEUTSCHE_POST_LETTERS if v == "deutsche-post" else [PostageClass(**c) for c in v]
                elif k == "divert":
                    kw[k] = _condition(v, "divert")
                elif k == "marks":
                    kw[k] = [_mark(m) for m in v]
                elif k == "cover":
                    kw[k] = _cover(v, base)
                else:
                    kw[k] = v
            return cls(**kw)
        except TypeError as exc:
            raise MailPlanError(f"mail plan: {exc}") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> MailPlan:
        """A plan from a JSON file (see :meth:`from_dict`).

        Raises:
            MailPlanError: the file cannot be read or holds no plan.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise MailPlanError(f"cannot read the mail plan {path}: {exc.strerror or exc}") from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MailPlanError(f"the mail plan {path} is not JSON: line {exc.lineno}: {exc.msg}") from None
        try:
            return cls.from_dict(d, Path(path).resolve().parent)
        except MailPlanError as exc:
            raise MailPlanError(f"{path}: {exc}") from None


#: piece columns that sort_by and split_by may name besides document values
PIECE_COLUMNS = ("class", "envelope", "sheets", "weight")


def _condition(v, where: str) -> Rule | None:
    if v is None:
        return None
    if not isinstance(v, Mapping) or not v:
        raise MailPlanError(f"mail plan: {where}: a condition is an object of value -> text or list of texts")
    rule: Rule | None = None
    for name, want in v.items():
        negate = isinstance(want, Mapping) and set(want) == {"not"}
        if negate:
            want = want["not"]
        if isinstance(want, list):
            r = col(name).isin([str(w) for w in want])
        elif isinstance(want, (str, int, float)):
            r = col(name) == str(want)
        else:
            raise MailPlanError(f"mail plan: {where}: {name!r} must be a text, a list of texts or {{'not': ...}}")
        if negate:
            r = ~r
        rule = r if rule is None else rule & r
    return rule


def _cover(spec, base):
    """The cover Document a plan file names (``file.py:name``, relative to the plan)."""
    if not isinstance(spec, str):
        raise MailPlanError('mail plan: cover names a template, e.g. "covers.py:cover"')
    from ..cli import load_document

    file, _, name = spec.rpartition(":") if ":" in spec else (spec, "", "")
    path = Path(file)
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    try:
        return load_document(f"{path}:{name}" if name else str(path))
    except MailPlanError:
        raise
    except CcmError as exc:
        raise MailPlanError(f"mail plan: cover {spec!r}: {exc}") from None


def _mark(m) -> OmrMarks | PieceCode:
    if isinstance(m, Mapping) and set(m) == {"omr"}:
        o = dict(m["omr"])
        x, y = o.pop("x"), o.pop("y")
        return OmrMarks(x, y, OmrSpec(**o))
    if isinstance(m, Mapping) and set(m) == {"code"}:
        return PieceCode(**m["code"])
    raise MailPlanError('mail plan: a mark is {"omr": {...}} or {"code": {...}}')
