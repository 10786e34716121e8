"""Repairs of OCR'd values that have a known shape: e-mail addresses and phone numbers.

"@" in this form's font comes out of Tesseract as "&", "Q", "Ø", "G", "©", "E" or nothing at all,
and "." as ","; digits as the letters that look like them (O, l, S, B). An address is repaired
only towards what an address can be: one "@", a local part, and a domain of dotted labels ending
in letters; where several repairs fit, the one whose domain another address on the form shares,
or whose local part spells the applicant's name, wins.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.forms.reading import FieldValue, Provenance

# What Tesseract has been seen to make of "@" (in the form's sans-serif at 150-300 dpi): strong
# look-alikes first; lower-case letters and digits only when nothing else fits.
AT_STRONG = "&QØøæÆG©®E"  # an upper-case E inside a lower-case address is not an E
AT_WEAK = "ea9Oo"
_LOCAL = re.compile(r"^[a-z0-9!#$%'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%'*+/=?^_`{|}~-]+)*$", re.IGNORECASE)
_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}$", re.IGNORECASE)
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1",
                                   "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9",
                                   "q": "9", "b": "6", "G": "6"})


def ascii_fold(text: str) -> str:
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def is_address(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at) and "@" not in local and bool(_LOCAL.match(local)) and bool(_DOMAIN.match(domain))


def repair_email(text: str | None, *, domains: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> str | None:
    """The address OCR most likely saw, or the text unchanged when no repair makes it one."""
    if not text:
        return text
    # Addresses hold no spaces; OCR splits them at "@" and "." and reads "." as ",".
    s = re.sub(r"\s+", "", text).replace(",", ".").replace("..", ".").strip(".;:")
    s = s.replace("(at)", "@").replace("[at]", "@")
    if is_address(s):
        return snap_domain(_tidy(_names_in_local_part(s, names)), domains)
    # (candidate, how likely this kind of repair is): a look-alike in place of "@" beats a
    # missing "@" put back somewhere.
    candidates: list[tuple[str, int]] = []
    if s.count("@") > 1:
        candidates += [(s[:i].replace("@", "") + "@" + s[i + 1:].replace("@", ""), 3)
                       for i, ch in enumerate(s) if ch == "@"]
    spaced = re.sub(r"\s+", " ", text.strip()).replace(",", ".")
    if "@" not in spaced and spaced.count(" ") == 1:
        candidates.append((spaced.replace(" ", "@"), 3))  # "@" read as a gap
    for i, ch in enumerate(s):
        if ch in AT_STRONG:
            candidates.append((s[:i] + "@" + s[i + 1:], 2))
        elif ch in AT_WEAK:
            candidates.append((s[:i] + "@" + s[i + 1:], 1))
    if "@" not in s:
        candidates += [(s[:i] + "@" + s[i:], 0) for i in range(1, len(s))]
        # "@" read as two or three look-alikes ("øØB", "eæ").
        for n in (2, 3):
            for i in range(1, len(s) - n):
                chunk = s[i:i + n]
                if any(ch in AT_STRONG for ch in chunk) and all(ch in AT_STRONG + AT_WEAK + "B8" for ch in chunk):
                    candidates.append((s[:i] + "@" + s[i + n:], 1))
    fitting = [(c, p) for c, p in candidates if is_address(c)]
    if not fitting:
        return text
    best = max(fitting, key=lambda cp: _score(cp[0], domains, names) + (cp[1],))
    return snap_domain(_tidy(_names_in_local_part(best[0], names)), domains)


# What is left of an "@" when OCR reads it as "@" and one letter more ("@q", "@g", "@a", "@@").
AT_TAILS = "qg9a@©o"


def snap_domain(address: str, domains: tuple[str, ...]) -> str:
    """The address with its domain rebuilt from the known domains (the form's other addresses, the
    driftsoperatør's): a domain that is a known one behind the rest of an "@" glyph
    ("@qlyngheim.no" -> "@lyngheim.no"), or one letter away from a known one of eight or more
    ("nordiysomsorg.no" -> "nordlysomsorg.no"); else the address as it is."""
    from rapidfuzz.distance import Levenshtein

    if not is_address(address) or not domains:
        return address
    local, _, domain = address.rpartition("@")
    known = {d.lower() for d in domains if d}
    if domain in known:
        return address
    for n in (1, 2):
        if len(domain) > n and all(ch in AT_TAILS for ch in domain[:n]) and domain[n:] in known:
            return f"{local}@{domain[n:]}"
    near = [d for d in known if len(d) >= 8 and Levenshtein.distance(domain, d, score_cutoff=1) <= 1]
    return f"{local}@{near[0]}" if len(near) == 1 else address


def _names_in_local_part(address: str, names: tuple[str, ...]) -> str:
    """A local part built from the person's name, one letter misread ("heiene.solberg" beside the
    name Helene Solberg): the name's letters are the better reading."""
    from rapidfuzz.distance import Levenshtein

    local, _, domain = address.rpartition("@")
    parts = {p for n in names if n for p in re.split(r"[\s.-]+", ascii_fold(n)) if len(p) >= 4}
    pieces = re.split(r"([._-])", local)
    for i, piece in enumerate(pieces):
        low = piece.lower()
        if len(low) >= 4 and low not in parts:
            near = [p for p in parts if Levenshtein.distance(low, p, score_cutoff=1) <= 1 and len(p) == len(low)]
            if len(near) == 1:
                pieces[i] = near[0]
    return "".join(pieces) + "@" + domain


def _score(address: str, domains: tuple[str, ...], names: tuple[str, ...]) -> tuple[int, int, int]:
    local, _, domain = address.rpartition("@")
    d = domain.lower()
    same_domain = int(any(d == x.lower() for x in domains))
    folded = [ascii_fold(n) for n in names if n]
    name_parts = {p for n in folded for p in re.split(r"[\s.-]+", n) if len(p) >= 2}
    pieces = [p for p in re.split(r"[._-]+", local.lower()) if p]
    name_hits = sum(1 for p in pieces if p in name_parts)
    # A plausible domain: a Norwegian or generic top-level domain and a short name before it.
    plausible = int(d.rsplit(".", 1)[-1] in ("no", "com", "org", "net", "se", "dk", "eu", "nu", "info"))
    return (same_domain, name_hits, plausible)


def _tidy(address: str) -> str:
    local, _, domain = address.rpartition("@")
    if sum(ch.isupper() for ch in local) == 1 and not local[:1].isupper():
        local = local.lower()  # one capital inside a lower-case address is a misread ("lars.Jund")
    return f"{local}@{domain.lower()}"


def email_domain(text: str | None) -> str | None:
    if text and is_address(text):
        return text.rpartition("@")[2].lower()
    return None


def repair_phone(text: str | None) -> str | None:
    """Letters that look like digits, inside a value that is otherwise a phone number."""
    if not text:
        return text
    digits = sum(ch.isdigit() for ch in text)
    if digits < 4:
        return text
    # Fix a token only when it is mostly digits already ("9l5", "4O2"), not words ("(sentralbord)").
    tokens = []
    for token in text.split(" "):
        core = token.strip("()")
        if core and sum(ch.isdigit() for ch in core) >= len(core) / 2:
            token = token.translate(_DIGIT_LOOKALIKES)
        tokens.append(token)
    out = " ".join(tokens)
    # "+47" read as "447" or "#47": a plus at the start before the country code.
    out = re.sub(r"^[#4t]\s?(?=47\s?\d{3})", "+", out) if out.startswith(("#47", "t47")) else out
    return out


def marked(fv: FieldValue, value: str | None) -> FieldValue:
    """`fv` with its repaired value; when the repair changed more than spacing, its provenance says
    what OCR read (`repaired_from`) and that the value is unsure: the operator confirming the
    reading sees it marked, never a silent guess."""
    if value == fv.value or value is None or fv.value is None:
        return FieldValue(value, fv.where)
    if re.sub(r"\s+", "", value) == re.sub(r"\s+", "", fv.value).replace(",", "."):
        return FieldValue(value, fv.where)
    where = fv.where or Provenance("ocr", {})
    detail = {**where.detail, "repaired_from": where.detail.get("repaired_from", fv.value), "unsure": True}
    return FieldValue(value, Provenance(where.kind, detail))

