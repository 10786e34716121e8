"""Read the form's fields from text pasted into an e-mail body (format "text", method "text").

People copy the form into the mail instead of attaching it: "Fornavn: Kari" lines, or a Word
table pasted as "Fornavn:<TAB>Kari" or as the label on one line and the value on the next; the
sections by their headings, or by order when the headings were left out; the centres listed
after the centre heading ("1 Dale asylmottak", "- Hol asylmottak", "Dale asylmottak og Hol
asylmottak"). Quoted lines ("> ") are read too: a forwarded form is still the form.
"""

from __future__ import annotations

import re

from pipeline.forms.definition import FieldDef, FormDefinition, default_definition, norm_label
from pipeline.forms.reading import FieldValue, FormReading, Provenance, fold

MIN_LABELS = 3
_QUOTE = re.compile(r"^\s*(>\s?)+")
_BULLET = re.compile(r"^\s*(?:\d{1,3}\s*[.):]?|[-•*·–])\s+|^\s*\d{1,3}\s*[.):]?\s*$")
# Where a pasted form ends: the sender's sign-off.
_SIGN_OFF = re.compile(r"^(med vennlig hilsen|vennlig hilsen|mvh|hilsen|best regards|regards)\b", re.I)
_MAX_CENTRE_LEN = 120


def read_text_form(text: str, definition: FormDefinition | None = None) -> FormReading | None:
    """The form's fields in `text`, or None when fewer than MIN_LABELS of its labels are present."""
    definition = definition or default_definition()
    lines = [_QUOTE.sub("", line).replace("\u00a0", " ").rstrip() for line in (text or "").splitlines()]
    fields: dict[str, FieldValue] = {}
    centres: list[FieldValue] = []
    labels_seen: set[str] = set()
    headings_seen: set[str] = set()
    section: str | None = None
    last_field_section: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        number = i + 1
        i += 1
        if not line:
            continue
        if _SIGN_OFF.match(line):
            if len(labels_seen) >= MIN_LABELS:
                break  # the sign-off after the form: its "Mobil:" is the sender's, not the applicant's
            section = None if section == "centres" else section
            continue
        label, colon, rest = line.partition(":")
        if colon and norm_label(label) in definition.centres.labels:
            section = "centres"  # "Mottak: Dale asylmottak, Hol asylmottak"
            labels_seen.add("centres")
            _add_centres(definition, rest, number, centres)
            continue
        hit = _label(definition, line, section, last_field_section, fields)
        kind = _heading(definition, line)
        if kind is not None and (hit is None or not hit[1]):
            section = None if kind == "end" else kind
            headings_seen.add(kind)
            if kind == "centres":
                labels_seen.add("centres")
                rest = line.split(":", 1)[1].strip() if ":" in line else ""
                _add_centres(definition, rest, number, centres)
            continue
        if hit is not None:
            fdef, value = hit
            labels_seen.add(fdef.path)
            last_field_section = fdef.path.split(".")[0]
            if section == "centres":
                section = last_field_section
            if not value and _plain_value(definition, lines, i, section, last_field_section, fields):
                # The label alone on its line: a pasted table cell; the value is the next line.
                value, number = lines[i].strip(), i + 1
                i += 1
            _set(definition, fields, fdef.path, value, number)
            continue
        if section == "centres":
            _add_centres(definition, _BULLET.sub("", line), number, centres)
    if not _is_the_form(labels_seen, headings_seen):
        return None
    return FormReading(form=definition.name, filename=None, format="text", method="text",
                       fields=fields, centres=centres)


def _plain_value(definition: FormDefinition, lines: list[str], i: int, section: str | None,
                 last_field_section: str | None, fields: dict[str, FieldValue]) -> bool:
    """Whether line i is a value (not a label or a heading of its own)."""
    nxt = lines[i].strip() if i < len(lines) else ""
    return bool(nxt) and _label(definition, nxt, section, last_field_section, fields) is None \
        and _heading(definition, nxt) is None


def _is_the_form(labels_seen: set[str], headings_seen: set[str]) -> bool:
    # A signature block ("Mobil: ...", "E-post: ...", "Telefon: ...") is not a form: ask for the
    # person's name label or one of the form's headings as well.
    core = {"applicant.first_name", "applicant.last_name"} & labels_seen or headings_seen
    return len(labels_seen) >= MIN_LABELS and bool(core)


def _heading(definition: FormDefinition, line: str) -> str | None:
    t = norm_label(line)
    if any(t.startswith(m) for m in definition.centres.end_markers):
        return "end"
    if len(t) < 12:  # "Driftsoperatør:" alone is the organisation's label, not the heading
        return None
    return definition.section_for_heading(line)


def _label(definition: FormDefinition, line: str, section: str | None, last: str | None,
           fields: dict[str, FieldValue]) -> tuple[FieldDef, str] | None:
    """The field this line's label names, deciding between sections for a shared label (E-postadresse)."""
    line = line.replace("\t", ": ", 1) if "\t" in line and ":" not in line.split("\t", 1)[0] else line
    candidates = []
    for key in ("operator", "applicant"):
        hit = definition.split_label_value(line, key)
        if hit is not None:
            candidates.append((key, hit))
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0][1]
    # The label belongs to both sections: the current heading decides, else the order of the fields.
    preferred = section if section in ("operator", "applicant") else last or "operator"
    ordered = sorted(candidates, key=lambda c: c[0] != preferred)
    for _key, hit in ordered:
        current = fields.get(hit[0].path)
        if current is None or current.value is None:
            return hit
    return ordered[0][1]


def _set(definition: FormDefinition, fields: dict[str, FieldValue], path: str, value: str, line: int) -> None:
    folded = fold(value)
    if folded is not None and definition.is_placeholder(folded):
        folded = None
    current = fields.get(path)
    if current is None or current.value is None:
        fields[path] = FieldValue(folded, Provenance("body", {"line": line}) if folded else None)


def _add_centres(definition: FormDefinition, text: str, line: int, centres: list[FieldValue]) -> None:
    text = text.strip()
    if not text or len(text) > _MAX_CENTRE_LEN or definition.is_placeholder(text):
        return
    for part in definition.split_centres(text):
        value = fold(part)
        if value:
            centres.append(FieldValue(value, Provenance("body", {"line": line})))
