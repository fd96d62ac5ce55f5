"""Hyphenation: soft hyphens (U+00AD) inserted where a language's patterns allow a break.

Patterns come from the pyphen package (LibreOffice's dictionaries, many languages). The
layout kernel treats a soft hyphen as a place to break a word, shown as "-" only where a
line breaks there. Words are looked up once each per process (cached). pyphen, and a
language's patterns, are loaded the first time a template asks for hyphenation, once per
process.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .errors import TemplateError

__all__ = ["hyphenate_text", "check_language"]

SHY = "\u00ad"
_WORD = re.compile(r"\w{5,}")


@cache
def _dictionary(lang: str):
    import pyphen  # with its dictionary index: only for templates that hyphenate

    return pyphen.Pyphen(lang=lang, left=2, right=3)


def check_language(lang: str) -> str:
    """The pyphen dictionary name for a language ('en' -> 'en_US', 'de' -> 'de_DE').

    Raises:
        TemplateError: no hyphenation patterns for that language.
    """
    import pyphen

    found = pyphen.language_fallback(lang.replace("-", "_"))
    if found is None:
        raise TemplateError(f"no hyphenation patterns for language {lang!r}")
    return found


@lru_cache(maxsize=200_000)
def _word(lang: str, word: str) -> str:
    return _dictionary(lang).inserted(word, hyphen=SHY)


def hyphenate_text(text: str, lang: str) -> str:
    """text with soft hyphens in its words of five letters or more (existing ones kept)."""
    if SHY in text:
        return text
    return _WORD.sub(lambda m: _word(lang, m.group(0)), text)
