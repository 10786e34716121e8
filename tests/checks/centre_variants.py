"""Variants of the reference centre names as people write them, with what each should resolve to.

Used to choose the fuzzy threshold (bench/check --centres sweeps it) and to hold the chosen one to
its measured accuracy (test_centre_accuracy.py). Expected: a mottaksnummer (must resolve to it), or
"ambiguous" (a person must choose), or "unknown" (not a registry centre).
"""

from __future__ import annotations

import csv
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.names import name_parts
from pipeline.registry.centre_index import CentreIndex, CentreInfo

# Norwegian places that are not centres in the reference registry (negatives).
OTHER_PLACES = ["Bergen", "Tromsø", "Hamar", "Lillehammer", "Kristiansand", "Bodø", "Harstad", "Gjøvik",
                "Steinkjer", "Halden", "Arendal", "Larvik", "Sandefjord", "Tønsberg", "Drammen", "Kongsberg",
                "Narvik", "Vardø", "Honningsvåg", "Finnsnes", "Sortland", "Leknes", "Namsskogan", "Meråker",
                "Stjørdal", "Orkanger", "Kristiansund", "Ulsteinvik", "Stord", "Haugesund", "Sauda", "Jørpeland",
                "Bryne", "Sandnes", "Mandal", "Grimstad", "Notodden", "Rjukan", "Geilo", "Brumunddal"]


def load_centres(path: Path) -> list[CentreInfo]:
    with path.open(encoding="utf-8") as fh:
        return [CentreInfo(r["mottaksnummer"], r["name"], r["kind"], r["operator_id"], r["active"] == "true",
                           name_parts(r["name"])) for r in csv.DictReader(fh)]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)  # people rarely get the first letter wrong
    op = rng.choice(("delete", "insert", "replace", "swap"))
    letter = rng.choice("aeioulnrstdkgm")
    if op == "delete":
        return word[:i] + word[i + 1:]
    if op == "insert":
        return word[:i] + letter + word[i:]
    if op == "replace":
        return word[:i] + letter + word[i + 1:]
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def variants(centres: list[CentreInfo], seed: int = 3) -> Iterator[tuple[str, str, str]]:
    """(kind of variant, written, expected)."""
    rng = random.Random(seed)
    by_place = Counter(c.parts.place for c in centres)
    for c in centres:
        name, nr = c.name, c.mottaksnummer
        words = name.split()
        place = " ".join(w for w in words if w.lower() not in ("asylmottak", "akuttinnkvartering", "em", "transitt",
                                                               "fa", "akutt"))
        suffix = name[len(place):]
        yield "exact", name, nr
        yield "case+space", "  " + name.upper().replace(" ", "   "), nr
        yield "nfd", unicodedata.normalize("NFD", name), nr
        yield "ascii", name.replace("å", "aa").replace("Å", "Aa").replace("ø", "o").replace("æ", "ae"), nr
        yield "number in brackets", f"{name} ({nr})", nr
        yield "number alone", nr, nr
        yield "mottak for asylmottak", name.replace("asylmottak", "mottak"), nr
        qualifier_only = suffix.replace(" asylmottak", "").replace(" akuttinnkvartering", "")
        bare = (place + qualifier_only).strip()
        siblings = by_place[c.parts.place] > 1
        expect_bare = "ambiguous" if siblings and not c.parts.qualifier else nr
        yield "generic word dropped", bare, expect_bare
        yield "extra generic word", f"{name} mottak", nr
        for i in range(3):
            yield f"typo {i + 1}", _typo(place, rng) + suffix, nr
    for other in OTHER_PLACES:
        yield "not a centre", f"{other} asylmottak", "unknown"


def evaluate(index: CentreIndex, cases: list[tuple[str, str, str]]) -> dict[str, Counter]:
    """Per kind of variant: correct, ambiguous (asked), unknown (asked), wrong (resolved to another)."""
    out: dict[str, Counter] = {}
    for kind, written, expected in cases:
        res = index.resolve(written)
        got = res.centre.mottaksnummer if res.status == "resolved" and res.centre else res.status
        if got == expected:
            verdict = "correct"
        elif res.status == "resolved":
            verdict = "wrong"
        else:
            verdict = res.status
        out.setdefault(kind, Counter())[verdict] += 1
        if verdict in ("ambiguous", "unknown") and any(c.mottaksnummer == expected for c in res.candidates):
            out[kind]["asked, right one suggested"] += 1
    return out
