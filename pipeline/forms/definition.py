"""Form definitions (data in `definitions/*.toml`) and the label matching both readers share."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

_DIR = Path(__file__).parent / "definitions"
_SPACE = re.compile(r"\s+")
_SLASH = re.compile(r"\s*/\s*")


def norm_label(text: str) -> str:
    """Casefold, NFC, fold white space, tidy slashes, drop a trailing colon/asterisk."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    # str.split/join and str.replace instead of regexes: this runs on whole documents.
    text = " ".join(text.split()).casefold()
    if "/" in text:  # (spaces are single now, so this is the same as _SLASH.sub(" / ", text))
        text = text.replace(" /", "/").replace("/ ", "/").replace("/", " / ")
    return text.rstrip(" :*").strip()


@dataclass(frozen=True)
class FieldDef:
    path: str
    labels: tuple[str, ...]
    acroform: tuple[str, ...]


@dataclass(frozen=True)
class SectionDef:
    key: str
    headings: tuple[str, ...]
    fields: tuple[FieldDef, ...]

    def field_for_label(self, label: str) -> FieldDef | None:
        """The field whose label this is (exact match after normalisation)."""
        key = norm_label(label)
        for f in self.fields:
            if key in (norm_label(v) for v in f.labels):
                return f
        return None


@dataclass(frozen=True)
class CentresDef:
    headings: tuple[str, ...]
    acroform_prefix: tuple[str, ...]
    end_markers: tuple[str, ...]
    # Short labels that introduce centres in free text ("Mottak: Dale asylmottak"), normalised.
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormDefinition:
    name: str
    title: str
    markers: tuple[str, ...]
    min_markers: int
    foreign_markers: tuple[str, ...]
    placeholders: tuple[str, ...]
    centre_separators: tuple[str, ...]
    sections: tuple[SectionDef, ...]
    centres: CentresDef

    def section(self, key: str) -> SectionDef:
        return next(s for s in self.sections if s.key == key)

    def all_fields(self) -> list[FieldDef]:
        return [f for s in self.sections for f in s.fields]

    def section_for_heading(self, text: str) -> str | None:
        """'operator', 'applicant', 'centres' when `text` is (or starts with) a section heading."""
        t = norm_label(text)
        if not t:
            return None
        for s in self.sections:
            if any(t.startswith(h) for h in s.headings):
                return s.key
        if any(t.startswith(h) for h in self.centres.headings):
            return "centres"
        return None

    @cached_property
    def _placeholder_keys(self) -> frozenset[str]:
        return frozenset(norm_label(p).rstrip(".") for p in self.placeholders)

    @cached_property
    def _placeholder_span(self) -> tuple[int, int]:
        lengths = [len(k) for k in self._placeholder_keys] or [0]
        return min(lengths), max(lengths)

    def is_placeholder(self, text: str | None) -> bool:
        if not text:
            return False
        low, high = self._placeholder_span
        # A cheap length test first: this runs on every cell and content control.
        if not low <= len(text.strip()) <= 2 * high:
            return False
        return norm_label(text).rstrip(".") in self._placeholder_keys

    @cached_property
    def _label_patterns(self) -> dict[str, tuple[re.Pattern[str], tuple[FieldDef, ...]]]:
        """Per section: one regex of all its labels, longest first, and the field of each alternative.

        One compiled alternation per section (instead of a loop over labels) keeps label matching cheap
        enough to run on every table cell. Labels match with any white space inside and any spacing
        around a slash ('firma/organisasjon' and 'firma / organisasjon').
        """
        out = {}
        for s in self.sections:
            pairs = sorted(((norm_label(lab), f) for f in s.fields for lab in f.labels), key=lambda p: -len(p[0]))
            alts = [
                "(" + r"\s*/\s*".join(r"\s+".join(re.escape(w) for w in part.split()) for part in lab.split(" / "))
                + ")"
                for lab, _ in pairs
            ]
            # After the label: a colon (optionally after '*'), a tab or a line break, or nothing at all.
            pattern = re.compile(r"\s*(?:" + "|".join(alts) + r")[ \u00a0*]*(:|\t|\n|$)", re.IGNORECASE)
            out[s.key] = (pattern, tuple(f for _, f in pairs))
        return out

    def label_matches(self, text: str) -> list[tuple[str, FieldDef, str]]:
        """(section key, field, value after the label) for each section that has `text`'s label.

        'E-postadresse: kari@x.no' matches in both the operator and the applicant section: the caller
        decides by section. The value is white-space folded ('' when the label stands alone).
        """
        text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
        found = []
        for key, (pattern, fields_) in self._label_patterns.items():
            m = pattern.match(text)
            if m is None:
                continue
            index = next(i for i, g in enumerate(m.groups()[:-1]) if g is not None)
            found.append((key, fields_[index], _SPACE.sub(" ", text[m.end():]).strip()))
        return found

    def split_label_value(self, text: str, section: str | None = None) -> tuple[FieldDef, str] | None:
        """'Fornavn: Kari' -> (first_name, 'Kari'); also 'Fornavn<tab>Kari' and 'Fornavn' alone.

        Only labels of `section` are tried when it is given. Longest label first, so that
        'E-postadresse' wins over 'E-post'.
        """
        for key, f, rest in self.label_matches(text):
            if section is None or section not in {s.key for s in self.sections} or key == section:
                return f, rest
        return None

    def is_this_form(self, text: str) -> bool:
        t = norm_label(text)
        if any(m in t for m in self.foreign_markers):
            return False
        return sum(1 for m in self.markers if m in t) >= self.min_markers

    def split_centres(self, text: str) -> list[str]:
        """One cell holding several centres ('Dale asylmottak og Hol asylmottak', or two lines)."""
        parts = [text]
        for sep in ("\n", *self.centre_separators):
            parts = [p for chunk in parts for p in chunk.split(sep)]
        out = []
        for p in parts:
            p = _SPACE.sub(" ", p).strip(" \t-•·*")
            if p:
                out.append(p)
        return out


def _load(path: Path) -> FormDefinition:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    sections = tuple(
        SectionDef(
            key=s["key"],
            headings=tuple(norm_label(h) for h in s["headings"]),
            fields=tuple(
                FieldDef(path=f["path"], labels=tuple(f["labels"]), acroform=tuple(f.get("acroform", [])))
                for f in s["fields"]
            ),
        )
        for s in raw["sections"]
    )
    c = raw["centres"]
    return FormDefinition(
        name=raw["name"],
        title=raw["title"],
        markers=tuple(norm_label(m) for m in raw["markers"]),
        min_markers=int(raw["min_markers"]),
        foreign_markers=tuple(norm_label(m) for m in raw["foreign_markers"]),
        placeholders=tuple(raw["placeholders"]),
        centre_separators=tuple(raw["centre_separators"]),
        sections=sections,
        centres=CentresDef(
            headings=tuple(norm_label(h) for h in c["headings"]),
            acroform_prefix=tuple(c["acroform_prefix"]),
            end_markers=tuple(norm_label(m) for m in c["end_markers"]),
            labels=tuple(norm_label(m) for m in c.get("labels", [])),
        ),
    )


@cache
def definitions() -> tuple[FormDefinition, ...]:
    return tuple(_load(p) for p in sorted(_DIR.glob("*.toml")))


def default_definition() -> FormDefinition:
    return next(d for d in definitions() if d.name == "mottaksadministrator")
