"""The queue's search text (pure): what an operator may type to find a case, folded so that spelling
of æ, ø and å, case and accents do not matter, and cut into the trigrams that index it.

    fold("Ødegård") == fold("Odegaard") == "odegard"
    case_text(...) -> str       one case's folded text: ref, names, e-mail, mobile, centres, sender, subject
    grams(text) -> set[str]     the trigrams of each word (a search term is one word: its trigrams are
                                inside one word of any text that contains it) and its first two letters
    word_grams(word) -> [str]   the postings to look a search word up in, likely rarest first
    terms(query) -> list[str]   a search box's words, folded; a phone number written with spaces is one term
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

GRAM = 3
_DIGITS = re.compile(r"^\+?[\d ]{3,}$")
# Letters whose Norwegian spellings vary: æ/ae, ø/o (and ö), å/a/aa. Folded one way in both the text and
# the query, so that any of them finds the others.
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o"})


def fold(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS).replace("aa", "a")
    # Other accents (é, ü, ...) go; the letters above are already plain.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def phone_forms(e164: str | None) -> list[str]:
    """+4791234567 and the national 91234567, as people type them."""
    if not e164:
        return []
    out = [e164]
    if e164.startswith("+47"):
        out.append(e164[3:])
    return out


def case_text(*, case_ref: str | None, first_name: str | None, last_name: str | None, email: str | None,
              mobile: str | None, centres: Iterable[tuple[str | None, str | None, str | None]],
              sender: str | None, subject: str | None, organisation: str | None = None) -> str:
    """centres: (as written, mottaksnummer, registry name)."""
    parts: list[str | None] = [case_ref, first_name, last_name, email, *phone_forms(mobile)]
    for written, number, name in centres:
        parts += [written, number, name]
    parts += [organisation, sender, subject]
    seen: dict[str, None] = {}
    for part in parts:
        folded = fold(part)
        if folded:
            seen.setdefault(folded)
    # One line per value: a search term never spans two of them.
    return "\n".join(seen)


PREFIX = "^"  # marks a word's first two letters: a two-letter search finds the words that start so


def grams(text: str) -> set[str]:
    out: set[str] = set()
    for word in text.split():
        out.update(word[i:i + GRAM] for i in range(len(word) - GRAM + 1))
        if len(word) >= 2:
            out.add(PREFIX + word[:2])
    return out


def word_grams(word: str) -> list[str]:
    """The postings that may hold a search word: its trigrams, or for a two-letter word the words that
    start with it (a single letter has none: it is looked for in the text itself)."""
    if len(word) >= GRAM:
        return sorted({word[i:i + GRAM] for i in range(len(word) - GRAM + 1)}, key=_rarity)
    return [PREFIX + word] if len(word) == 2 else []


# Characters that narrow a search most come first when the rarest trigram is sought: digits (numbers,
# case references), then letters less common in Norwegian names and addresses; the punctuation of
# e-mail addresses narrows nothing.
_COMMON = "eanrtsilodkgmuvhbpfjy"


def _rarity(gram: str) -> tuple[int, str]:
    score = 0
    for c in gram:
        if c.isdigit():
            score += 6
        elif c in _COMMON:
            score += _COMMON.index(c) // 4
        elif c.isalpha():
            score += 5
    return (-score, gram)


def terms(query: str, limit: int = 5) -> list[str]:
    """The folded words to find (each anywhere in a case's text); a phone number is one word."""
    query = " ".join(query.split())
    if _DIGITS.match(query):
        digits = query.replace(" ", "")
        # 0047 91234567 is +47 91234567; 0024 is a case number's digits, not a country code.
        return [("+" + digits[2:]) if digits.startswith("00") and len(digits) >= 10 else digits]
    words = [w for w in (fold(w) for w in query.split()) if w]
    # Longest first: usually the most selective.
    return sorted(dict.fromkeys(words), key=len, reverse=True)[:limit]
