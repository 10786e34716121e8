"""Cases as rows for the people who carry them out in IMDinett: `pipeline queue export` and the UI's
downloads give the same rows in three forms:

- csv: the scripts' contract (docs/DESIGN.md): UTF-8, comma, the English column names below;
- excel-csv: what Norwegian Excel opens with a double-click: a UTF-8 byte order mark, `;` between
  columns (Excel's list separator where the decimal comma is used), Norwegian column names, and
  mottaksnummer and mobile numbers written so that Excel keeps them as text ("0606", "+4791234567");
- xlsx: the same as a workbook (openpyxl), every cell typed as text, so nothing is turned into a number
  or a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Task
from pipeline.core.domain import APPROVED, REMOVAL, ROLE
from pipeline.queries.view_rows import TaskView, task_view

EXPORT_COLUMNS = ("case_ref", "action", "user_id", "first_name", "last_name", "email", "mobile", "role",
                  "mottaksnummer", "centres", "operator", "operator_id", "extends_user_id")
ACTIONS = {"grant": "opprett", REMOVAL: "fjern"}
# The same columns as IMDi's people read them.
HEADERS_NO: dict[str, str] = {
    "case_ref": "Saksnummer", "action": "Handling", "user_id": "Bruker-ID", "first_name": "Fornavn",
    "last_name": "Etternavn", "email": "E-post", "mobile": "Mobil", "role": "Rolle",
    "mottaksnummer": "Mottaksnummer", "centres": "Mottak", "operator": "Driftsoperatør",
    "operator_id": "Driftsoperatør-ID", "extends_user_id": "Utvider bruker",
}
FORMATS = ("csv", "excel-csv", "xlsx", "json")


def export_rows(session: Session, states: Iterable[str] = (APPROVED,)) -> list[dict[str, Any]]:
    rows = []
    for task in session.scalars(select(Task).where(Task.state.in_(tuple(states))).order_by(Task.id)):
        rows.append(export_row(task_view(task, with_reading=False)))
    return rows


def _flat(row: dict[str, Any], separator: str) -> dict[str, Any]:
    flat = {k: row.get(k) for k in EXPORT_COLUMNS}
    flat["mottaksnummer"] = separator.join(c["mottaksnummer"] or "" for c in row["centres"])
    flat["centres"] = separator.join(c["name"] or "" for c in row["centres"])
    return flat


def _inert(key: str, value: Any) -> Any:
    """A cell starting with = + - @ is a formula to a spreadsheet: keep names and numbers inert."""
    if isinstance(value, str) and value[:1] in "=+-@\t\r" and key != "mobile":
        return "'" + value
    return value


def export_csv(rows: list[dict[str, Any]]) -> str:
    """The scripts' CSV (docs/DESIGN.md): its bytes do not change with this module's other formats."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _inert(k, v) for k, v in _flat(row, ";").items()})
    return out.getvalue()


_TEXT_NUMBER = re.compile(r"^[0-9A-Za-z+, -]+$")
_KEEP_AS_TEXT = ("mobile", "mottaksnummer", "case_ref", "user_id", "extends_user_id", "operator_id")


def _excel_field(key: str, value: Any) -> str:
    """One field of a Norwegian Excel's CSV. Numbers that must stay text (0606, +4791234567) are written
    ="0606", unquoted: Excel's way to say "this text" (a constant, it computes nothing). The rest is
    quoted as CSV needs, inert when it starts like a formula."""
    text = "" if value is None else str(value)
    if key in _KEEP_AS_TEXT and text and _TEXT_NUMBER.match(text):
        return '="' + text + '"'
    text = str(_inert(key, text))
    if any(c in text for c in ';"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def export_excel_csv(rows: list[dict[str, Any]]) -> bytes:
    """CSV that Norwegian Excel opens as columns with æøå intact: BOM, `;`, CRLF, Norwegian headers.
    Several centres in one cell are separated by ", " (the `;` separates the columns)."""
    lines = [";".join(HEADERS_NO[k] for k in EXPORT_COLUMNS)]
    for row in rows:
        flat = _flat(row, ", ")
        lines.append(";".join(_excel_field(k, flat[k]) for k in EXPORT_COLUMNS))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def export_xlsx(rows: list[dict[str, Any]], *, title: str = "Eksport", when: datetime | None = None) -> bytes:
    """A workbook with one sheet: Norwegian headers, every cell a text cell (format "@"), frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for col, key in enumerate(EXPORT_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=col, value=HEADERS_NO[key])
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        flat = _flat(row, ", ")
        for col, key in enumerate(EXPORT_COLUMNS, start=1):
            value = flat[key]
            cell = sheet.cell(row=r, column=col)
            if value not in (None, ""):
                cell.value = str(value)
                # Typed as a string: openpyxl would take "=..." for a formula, Excel "0606" for 606.
                cell.data_type = "s"
            cell.number_format = "@"
    widths = {"email": 34, "centres": 40, "operator": 30, "mobile": 16}
    for col, key in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=col).column_letter].width = widths.get(key, 15)
    sheet.freeze_panes = "A2"
    if when is not None:
        book.properties.created = when.replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_row(task: TaskView) -> dict[str, Any]:
    """What an operator does in IMDinett: create the user (or add centres to the user it extends), or take the
    role off the user at these centres."""
    return {
        "case_ref": task.case_ref,
        "action": ACTIONS.get(task.kind, "opprett"),
        "user_id": task.user_id if task.kind == REMOVAL else task.extends_user_id,
        "first_name": task.first_name,
        "last_name": task.last_name,
        "name": " ".join(p for p in (task.first_name, task.last_name) if p),
        "email": task.email,
        "mobile": task.mobile,
        "role": ROLE,
        "centres": _once([{"mottaksnummer": c.mottaksnummer, "name": c.name or c.written} for c in task.centres]),
        "operator": (task.operator or {}).get("organisation"),
        "operator_id": task.operator_id,
        "extends_user_id": task.extends_user_id,
    }


def _once(centres: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each centre once (a form may list one twice; IMDinett needs it once), in the form's order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for c in centres:
        key = ("nr", c["mottaksnummer"]) if c["mottaksnummer"] else ("name", str(c["name"] or "").casefold())
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
