"""Centre names: the normalised key, and the parts (place, qualifier, generic word) that matching uses.

Why parts and not one fuzzy score over the whole name: the generic words ("asylmottak", "mottak")
dominate every scorer, so "Dale mottak" scores about as well against "Råde mottak" as against
"Dale asylmottak" (PITFALLS.md). We score the place alone, and use the qualifier (EM, transitt,
FA, akutt) and the generic word to choose between the centres of one place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "ae", "ö": "o", "ü": "u"})
_NON_WORD = re.compile(r"[^\w]+|_")
_SPACE = re.compile(r"\s+")


def fold_text(s: str) -> str:
    """NFKC, casefold, æ→ae ø→o å→a aa→a, other accents dropped, punctuation and white space folded."""
    s = unicodedata.normalize("NFKC", s).casefold().translate(_FOLD)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("aa", "a")
    s = _NON_WORD.sub(" ", s)
    return _SPACE.sub(" ", s).strip()


def same_person(first: str | None, last: str | None, email: str | None,
                other_first: str | None, other_last: str | None, other_email: str | None) -> bool:
    """Same e-mail, or the same first and last name (case, accents and æøå folded)."""
    if email and other_email and email.casefold() == other_email.casefold():
        return True
    return bool(first and last and other_first and other_last
                and fold_text(f"{first} {last}") == fold_text(f"{other_first} {other_last}"))


def normalise_centre_name(s: str) -> str:
    """The key stored in RegistryCentre.name_key: the full name (generic words kept), folded."""
    return fold_text(s)


# Generic words: what kind of place it is, not which one. Folded spellings.
GENERIC_ASYL = "asylmottak"
GENERIC_AKUTT = "akuttinnkvartering"
_GENERIC: dict[str, str] = {
    "asylmottak": GENERIC_ASYL, "asylmottaket": GENERIC_ASYL, "mottak": GENERIC_ASYL,
    "mottaket": GENERIC_ASYL, "mottakssenter": GENERIC_ASYL, "asylsenter": GENERIC_ASYL,
    "akuttinnkvartering": GENERIC_AKUTT, "akuttinnkvarteringen": GENERIC_AKUTT, "innkvartering": GENERIC_AKUTT,
}
# Qualifiers tell centres of one place apart and are kept.
_QUALIFIER: dict[str, str] = {
    "em": "em", "ema": "em", "transitt": "transitt", "fa": "fa", "akutt": "akutt",
}
# Compound words: qualifier and generic word written as one.
_COMPOUND: dict[str, tuple[str, str]] = {
    "transittmottak": ("transitt", GENERIC_ASYL), "akuttmottak": ("akutt", GENERIC_ASYL),
    "emmottak": ("em", GENERIC_ASYL), "famottak": ("fa", GENERIC_ASYL),
}
# Words that say nothing about which centre ("avd.", "nr", "for enslige mindreårige" is EM).
_NOISE = {"avd", "avdeling", "nr", "mottaksnr", "mottaksnummer", "ordinaer", "ordinart", "for", "og"}
_PHRASES = ((re.compile(r"\benslige mindre ?arige\b"), " em "),)
_NUMBER = re.compile(r"(?<!\d)\d{4}(?!\d)")


@dataclass(frozen=True)
class NameParts:
    place: str  # folded, generic words and qualifiers removed
    qualifier: str | None  # em, transitt, fa, akutt
    generic: str | None  # asylmottak, akuttinnkvartering, or None when not written
    number: str | None  # a mottaksnummer written with the name


def name_parts(s: str) -> NameParts:
    text = fold_text(s)
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    numbers = _NUMBER.findall(text)
    text = _NUMBER.sub(" ", text)
    place: list[str] = []
    qualifier = generic = None
    for token in text.split():
        if token in _GENERIC:
            generic = generic or _GENERIC[token]
        elif token in _COMPOUND:
            qualifier, generic = _COMPOUND[token]
        elif token in _QUALIFIER and place:  # a qualifier never starts a name
            qualifier = _QUALIFIER[token]
        elif token in _NOISE or token.isdigit():
            continue
        else:
            place.append(token)
    return NameParts(" ".join(place), qualifier, generic, numbers[0] if numbers else None)
