"""Post-processing: mail pieces, inserter files, archive index, production report.

    from ccmcore.post import MailPlan, Envelope, Insert, Address, OmrMarks, PieceCode
    report = compose(document, data, "out/statements.pdf", mail=MailPlan(...))

See :mod:`ccmcore.post.plan` for the plan, :mod:`ccmcore.post.mail` for what a mail
production writes, :mod:`ccmcore.post.inserter` for the inserter files and
:mod:`ccmcore.post.reprint` for the way back.
"""

from __future__ import annotations

from .archive import write_cmod_index
from .inserter import read_results, write_mail_run
from .mail import MailRun
from .plan import (
    DEUTSCHE_POST_LETTERS,
    Address,
    Envelope,
    Insert,
    MailPlan,
    MailPlanError,
    OmrMarks,
    PieceCode,
    PostageClass,
)
from .reprint import Reprint, reprint

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
    "MailRun",
    "reprint",
    "Reprint",
    "read_results",
    "write_mail_run",
    "write_cmod_index",
]
