"""Internal: AFP page overlays (static content stored once per job) and their placement.

An overlay (:class:`ccmcore.display.Overlay`) is stored once per job in the print file
level resource group::

    BRS name  (Resource Object Type X'FC' overlay)
      BMO name
        BAG
          [MCF] [MDR]   the fonts its text uses, by local ID (as a page's)
          [MPO]         overlays it includes
          PGD           its extent (the overlay's width and height), 1440 units per inch
          PTD
        EAG
        BPT PTX... EPT  its text, rules and boxes (the pages' PTOCA code)
        IOB / IPO       images and nested overlays, in drawing order between text objects
      EMO
    ERS

and placed on a page (or in another overlay) by an IPO (Include Page Overlay) at the
OVERLAY item's X, Y in L-units; the including page's AEG maps every overlay it includes
with an MPO repeating group (FQN X'84' resource object reference + Resource Local ID
X'24' type X'02' page overlay), as print servers require before an IPO names it.

Names: the overlay's own name when it is a valid AFP name (1-8 of A-Z a-z 0-9 @ # $ . _ -);
a longer name keeps its first 8 characters when those are valid and no other overlay of
the job has them; otherwise ``O`` plus seven base-36 digits of a hash of the whole name.
Two different overlays with the same name are an error.
"""

from __future__ import annotations

import hashlib
import re

from . import sf as S

__all__ = ["overlay_name", "mpo", "include_page_overlay", "begin", "end", "MAX_OVERLAYS_PER_PAGE", "OBJTYPE_OVERLAY"]

#: MPO local IDs per page (Resource Local ID is one byte; 1-127 keeps to the common range).
MAX_OVERLAYS_PER_PAGE = 127
#: BRS Resource Object Type X'21': page overlay.
OBJTYPE_OVERLAY = 0xFC

_NAME = re.compile(r"[A-Za-z0-9@#$._-]{1,8}\Z")
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def overlay_name(name: str, taken=()) -> str:
    """The AFP resource name of an overlay named ``name`` (see the module docstring).

    Args:
        name: the overlay's name.
        taken: AFP names other overlays of the job already have (a shortened name that
            is taken falls back to the hashed form).
    """
    if isinstance(name, str) and _NAME.match(name):
        return name
    if isinstance(name, str) and _NAME.match(name[:8]) and name[:8] not in taken:
        return name[:8]
    n = int(hashlib.sha1(str(name).encode("utf-8")).hexdigest(), 16) % 36**7
    digits = ""
    for _ in range(7):
        n, r = divmod(n, 36)
        digits = _B36[r] + digits
    return "O" + digits


def mpo(tokens) -> bytes:
    """An MPO mapping overlay ``tokens[k]`` (8 EBCDIC bytes) to local ID k + 1.

    Raises:
        ValueError: more than :data:`MAX_OVERLAYS_PER_PAGE` overlays.
    """
    if len(tokens) > MAX_OVERLAYS_PER_PAGE:
        raise ValueError(f"a page includes {len(tokens)} overlays; AFP maps at most {MAX_OVERLAYS_PER_PAGE}")
    groups = [S.rg(S.t_fqn(0x84, tok), S.t_resource_local_id(0x02, k)) for k, tok in enumerate(tokens, start=1)]
    return S.sf(S.MPO, b"".join(groups))


def include_page_overlay(token: bytes, x: int, y: int) -> bytes:
    """The IPO placing an overlay's origin at (x, y) L-units, 0 degrees.

    Raises:
        ValueError: a position outside -32,768..32,767 L-units.
    """
    for v in (x, y):
        if not -32768 <= v <= 32767:
            raise ValueError(f"overlay position {v} is outside -32,768..32,767 L-units (1/1440 inch)")
    return S.sf(S.IPO, token + S.lunits_to_bytes(x) + S.lunits_to_bytes(y) + b"\x00\x00")


def begin(token: bytes) -> tuple[bytes, bytes]:
    """(BRS, BMO) starting an overlay resource."""
    return (
        S.sf(S.BRS, token + b"\x00\x00" + S.t_ccsid(500) + S.t_resource_object_type(OBJTYPE_OVERLAY)),
        S.sf(S.BMO, token),
    )


def end(token: bytes) -> bytes:
    """EMO, ERS closing an overlay resource."""
    return S.sf(S.EMO, token) + S.sf(S.ERS, token)
