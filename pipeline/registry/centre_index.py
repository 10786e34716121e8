"""Resolve a centre name as people write it to one registry centre (pure, built once per registry).

Order: the exact key; a mottaksnummer; the place exactly; the place fuzzily. A fuzzy match is
accepted only when it is close enough (FUZZY_MIN) and clearly ahead of the runner-up (FUZZY_LEAD);
otherwise a person decides. The thresholds were chosen on variants of the reference registry
(`bench/check --centres`, tests/checks/test_centre_accuracy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from pipeline.core.names import GENERIC_AKUTT, NameParts, name_parts, normalise_centre_name

FUZZY_MIN = 80.0  # similarity of the place (0-100): 100 * (1 - edits / length), a swap is one edit
FUZZY_LEAD = 8.0  # points ahead of the next place
SUGGESTIONS = 5
SUGGEST_MIN = 70.0  # another operator's centre is suggested for an unknown name only when this close
OWN_SUGGESTIONS = 3  # the asking operator's own centres come first, the closest few whatever their score


@dataclass(frozen=True)
class CentreInfo:
    mottaksnummer: str
    name: str
    kind: str
    operator_id: str | None
    active: bool
    parts: NameParts


@dataclass(frozen=True)
class Resolution:
    status: Literal["resolved", "ambiguous", "unknown"]
    centre: CentreInfo | None = None
    candidates: tuple[CentreInfo, ...] = ()  # ambiguous: the close ones; unknown: the nearest
    how: str = ""  # exact, number, place, fuzzy
    score: float | None = None


class CentreIndex:
    def __init__(self, centres: list[CentreInfo]) -> None:
        self.by_number = {c.mottaksnummer: c for c in centres}
        self.by_key = {normalise_centre_name(c.name): c for c in centres}
        self.by_place: dict[str, list[CentreInfo]] = {}
        for c in sorted(centres, key=lambda c: c.mottaksnummer):
            self.by_place.setdefault(c.parts.place, []).append(c)
        self.places = list(self.by_place)

    def __len__(self) -> int:
        return len(self.by_number)

    def resolve(self, written: str) -> Resolution:
        exact = self.by_key.get(normalise_centre_name(written))
        if exact:
            return Resolution("resolved", exact, how="exact", score=100.0)
        parts = name_parts(written)
        by_number = self.by_number.get(parts.number) if parts.number else None
        by_name = self._resolve_parts(parts) if parts.place else Resolution("unknown")
        if by_number is None:
            return by_name
        if by_name.status == "unknown" or by_name.centre == by_number or by_number in by_name.candidates:
            return Resolution("resolved", by_number, how="number", score=100.0)
        # The number and the name point at different centres: ask.
        others = (by_name.centre,) if by_name.centre else by_name.candidates
        return Resolution("ambiguous", candidates=(by_number, *others), how="number")

    def suggest(self, written: str, operator_id: str | None = None) -> tuple[CentreInfo, ...]:
        """What to offer for a name that resolved to nothing: the asking operator's own active centres
        first (the closest few: a centre people call by another name is most likely one of theirs),
        then other centres only when their place is close; none when nothing is."""
        place = name_parts(written).place
        if not place:
            return ()
        active = [c for c in self.by_number.values() if c.active]
        own = sorted((c for c in active if operator_id and c.operator_id == operator_id),
                     key=lambda c: (-_similarity(place, c.parts.place), c.mottaksnummer))[:OWN_SUGGESTIONS]
        others = sorted(((s, c) for c in active if c not in own
                         for s in (_similarity(place, c.parts.place),) if s >= SUGGEST_MIN),
                        key=lambda sc: (-sc[0], sc[1].mottaksnummer))
        return tuple([*own, *(c for _, c in others)][:SUGGESTIONS])

    def _resolve_parts(self, parts: NameParts) -> Resolution:
        place = parts.place
        if place not in self.by_place:
            words = place.split()
            spans = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
            found = [s for s in spans if s in self.by_place and s != place]
            if len(found) == 1:
                place = found[0]
        if place in self.by_place:
            return _choose(self.by_place[place], parts, "place", 100.0)
        places = self.places
        if parts.qualifier:  # "Lundaeo EM" means a place that has an EM centre
            places = [p for p in places if any(_matches_qualifier(c, parts.qualifier) for c in self.by_place[p])] \
                or places
        top = process.extract(place, places, scorer=_similarity, limit=SUGGESTIONS)
        if not top:
            return Resolution("unknown")
        best_score = top[0][1]
        if best_score >= FUZZY_MIN:
            close = [top[0][0]] + [p for p, s, _ in top[1:] if s > best_score - FUZZY_LEAD]
            if len(close) == 1:
                return _choose(self.by_place[close[0]], parts, "fuzzy", best_score)
            cands = [c for p in close for c in _prefer(self.by_place[p], parts)]
            return Resolution("ambiguous", candidates=tuple(cands), how="fuzzy", score=best_score)
        # Below the threshold, yet one letter from several places ("Ho": Hol, Hov): that is
        # ambiguous, not unknown. One such place alone is not enough to resolve a short name.
        one_edit = [p for p, _, _ in top if OSA.distance(place, p) <= 1]
        if len(one_edit) > 1:
            cands = [c for p in one_edit for c in _prefer(self.by_place[p], parts)]
            return Resolution("ambiguous", candidates=tuple(cands), how="fuzzy", score=best_score)
        nearest = [c for p, _, _ in top[:3] for c in _prefer(self.by_place[p], parts)]
        return Resolution("unknown", candidates=tuple(nearest[:SUGGESTIONS]), how="fuzzy", score=best_score)


def _similarity(a: str, b: str, **_: object) -> float:
    """Optimal-string-alignment similarity: a swapped pair of letters ("Atla") is one edit, not two."""
    return 100.0 * OSA.normalized_similarity(a, b)


def _matches_qualifier(c: CentreInfo, qualifier: str) -> bool:
    if c.parts.qualifier == qualifier:
        return True
    # "Kvinesdal akutt" means the akuttinnkvartering when the place has no "asylmottak akutt".
    return qualifier == "akutt" and c.parts.qualifier is None and c.parts.generic == GENERIC_AKUTT


def _prefer(cands: list[CentreInfo], parts: NameParts) -> list[CentreInfo]:
    """The candidates that fit the written qualifier, or all of them when none fits."""
    if parts.qualifier:
        fit = [c for c in cands if _matches_qualifier(c, parts.qualifier)]
        return fit or cands
    return cands


def _choose(cands: list[CentreInfo], parts: NameParts, how: str, score: float) -> Resolution:
    """Pick one of a place's centres by the written qualifier and generic word."""
    if parts.qualifier:
        exact = [c for c in cands if c.parts.qualifier == parts.qualifier]
        pick = exact or [c for c in cands if _matches_qualifier(c, parts.qualifier)]
        if len(pick) == 1:
            return Resolution("resolved", pick[0], how=how, score=score)
        if not pick:  # "Dale transitt" where Dale has none: the place's centres are the suggestions
            return Resolution("unknown", candidates=tuple(cands), how=how, score=score)
        return Resolution("ambiguous", candidates=tuple(pick), how=how, score=score)
    if len(cands) == 1:
        return Resolution("resolved", cands[0], how=how, score=score)
    if parts.generic:
        # "Dale asylmottak" / "Dale mottak": the one without a qualifier.
        plain = [c for c in cands if c.parts.qualifier is None and c.parts.generic == parts.generic]
        if len(plain) == 1:
            return Resolution("resolved", plain[0], how=how, score=score)
    # "Dale" alone: Dale asylmottak or Dale asylmottak EM? A person must say.
    return Resolution("ambiguous", candidates=tuple(cands), how=how, score=score)
