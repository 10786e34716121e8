"""Form definitions (data in `definitions/*.toml`) and the label matching both readers share."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent / "definitions"
_SPACE = re.compile(r"\s+")
_SLASH = re.compile(r"\s*/\s*")


def norm_label(text: str) -> str:
    """Casefold, NFC, fold white space, tidy slashes, drop a trailing colon/asterisk."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = _SPACE.sub(" ", text).strip().casefold()
    text = _SLASH.sub(" / ", text)
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

    def is_placeholder(self, text: str | None) -> bool:
        if not text:
            return False
        t = norm_label(text).rstrip(".")
        return any(t == norm_label(p).rstrip(".") for p in self.placeholders)

    def split_label_value(self, text: str, section: str | None = None) -> tuple[FieldDef, str] | None:
        """'Fornavn: Kari' -> (first_name, 'Kari'); also 'Fornavn Kari' for unambiguous labels.

        Only labels of `section` are tried when it is given. Longest label first, so that
        'E-postadresse' wins over 'E-post'.
        """
        folded = _SPACE.sub(" ", unicodedata.normalize("NFC", text).replace("\u00a0", " ")).strip()
        low = folded.casefold()
        sections = [self.section(section)] if section in {s.key for s in self.sections} else list(self.sections)
        candidates = sorted(
            ((f, lab) for s in sections for f in s.fields for lab in f.labels), key=lambda p: -len(p[1])
        )
        for f, lab in candidates:
            lab_n = norm_label(lab)
            if not low.startswith(lab_n):
                continue
            rest = folded[len(lab_n):]
            if rest.startswith((":", " :")) or rest.startswith("\t"):
                return f, rest.lstrip(" :\t").strip()
            if not rest:
                return f, ""
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
