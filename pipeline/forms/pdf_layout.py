"""Page geometry shared by the PDF strategies: words, lines, table cells and which section is where.

Everything here works on plain data extracted once per page (the page is closed right after), so
the strategies never touch pdfplumber objects. Coordinates are pdfplumber's: points from the top
left of the page (x0, top, x1, bottom).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.forms.definition import FieldDef, FormDefinition, norm_label
from pipeline.forms.reading import FieldValue, FormReading, Provenance, fold

# Ligatures and odd hyphens that some PDF producers emit: they would break label matching.
_CHAR_FIX = str.maketrans({"\ufb01": "fi", "\ufb02": "fl", "\ufb00": "ff", "\ufb03": "ffi", "\ufb04": "ffl",
                           "\u2010": "-", "\u2011": "-", "\u00ad": ""})
NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.):]?\s*")


def fix_text(text: str) -> str:
    return text.translate(_CHAR_FIX)


@dataclass
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class Line:
    page: int
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


@dataclass
class Cell:
    bbox: tuple[float, float, float, float]
    lines: list[Line]

    def text(self) -> str:
        """The cell's text: lines that wrapped joined by a space, real line breaks kept as \\n."""
        out = ""
        widest = max((line.x1 for line in self.lines), default=0.0)
        for i, line in enumerate(self.lines):
            if i == 0:
                out = line.text
                continue
            prev = self.lines[i - 1]
            # A line wrapped when its first word would not have fitted after the previous line.
            first = line.words[0]
            wrapped = prev.x1 + 4 + (first.x1 - first.x0) > self.bbox[2] - 4
            # A single word filling its line was broken inside the word (a long e-mail address).
            broken = wrapped and len(prev.words) == 1 and prev.x1 >= widest - 3 and prev.x0 <= line.x0 + 3
            out += ("" if broken else " " if wrapped else "\n") + line.text
        return out


@dataclass
class Table:
    page: int
    index: int  # 0-based, in document order
    bbox: tuple[float, float, float, float]
    rows: list[list[Cell | None]]


@dataclass
class PageData:
    number: int  # 1-based
    width: float
    height: float
    mediabox_top: float
    words: list[Word]
    images: int
    image_area: float
    tables: list[Table] = field(default_factory=list)
    tables_searched: bool = False

    def lines(self) -> list[Line]:
        return group_lines(self.number, self.words)


def group_lines(page: int, words: list[Word], tolerance: float = 3.0) -> list[Line]:
    """Words into lines: same baseline region (top within `tolerance`), left to right."""
    lines: list[Line] = []
    for w in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        if lines and abs(lines[-1].words[0].top - w.top) <= tolerance:
            lines[-1].words.append(w)
        else:
            lines.append(Line(page, [w]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def words_in(words: list[Word], bbox: tuple[float, float, float, float]) -> list[Word]:
    x0, top, x1, bottom = bbox
    return [w for w in words if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]


class SectionMap:
    """Which section ('operator', 'applicant', 'centres', or None after the form) holds a point."""

    def __init__(self, definition: FormDefinition, pages: list[PageData]) -> None:
        self.marks: list[tuple[int, float, str | None]] = []
        for page in pages:
            for line in page.lines():
                kind = heading_kind(definition, line.text)
                if kind is not None:
                    self.marks.append((page.number, line.top, None if kind == "end" else kind))

    def at(self, page: int, top: float) -> str | None:
        current = None
        for p, t, kind in self.marks:
            if (p, t) <= (page, top + 1):
                current = kind
            else:
                break
        return current


def heading_kind(definition: FormDefinition, text: str) -> str | None:
    """'operator', 'applicant', 'centres', 'end' (the text after the centre table) or None."""
    t = norm_label(text)
    if any(t.startswith(m) for m in definition.centres.end_markers):
        return "end"
    if len(t) < 12:  # a bare label such as "Driftsoperatør:" is a field, not a heading
        return None
    return definition.section_for_heading(text)


def match_label(definition: FormDefinition, section: str | None, words: list[Word],
                max_words: int = 8) -> tuple[FieldDef, int] | None:
    """The field whose label the line starts with, and how many words the label takes (longest first)."""
    sections = [section] if section in ("operator", "applicant") else ["operator", "applicant"]
    for n in range(min(max_words, len(words)), 0, -1):
        text = " ".join(w.text for w in words[:n])
        hits = {f.path: f for key in sections if (f := definition.section(key).field_for_label(text))}
        if len(hits) == 1:
            return next(iter(hits.values())), n
    return None


def bbox_of(words: list[Word]) -> list[float]:
    return [round(min(w.x0 for w in words), 1), round(min(w.top for w in words), 1),
            round(max(w.x1 for w in words), 1), round(max(w.bottom for w in words), 1)]


class Collector:
    """Accumulates values for one reading; the first non-empty value for a field wins."""

    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition
        self.fields: dict[str, FieldValue] = {}
        self.centres: list[FieldValue] = []
        self.labels_seen: set[str] = set()

    def clean(self, text: str | None) -> str | None:
        value = fold(text)
        if value is None or self.definition.is_placeholder(value):
            return None
        return value

    def set(self, path: str, text: str | None, where: Provenance) -> None:
        self.labels_seen.add(path)
        value = self.clean(text)
        current = self.fields.get(path)
        if current is None or (current.value is None and value is not None):
            self.fields[path] = FieldValue(value, where if value is not None else None)

    def add_centres(self, text: str | None, where: Provenance) -> None:
        self.labels_seen.add("centres")
        if not text or self.clean(text) is None:
            return
        for part in self.definition.split_centres(text):
            value = self.clean(part)
            if value is not None:
                self.centres.append(FieldValue(value, where))

    def reading(self, filename: str | None, method: str) -> FormReading:
        return FormReading(form=self.definition.name, filename=filename, format="pdf", method=method,
                           fields=dict(self.fields), centres=list(self.centres))
