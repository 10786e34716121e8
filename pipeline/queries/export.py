"""Cases as rows for the people who carry them out in IMDinett: `pipeline queue export` and the UI's
"Eksporter CSV" give the same columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.adapters.db.models import Task
from pipeline.core.domain import APPROVED, REMOVAL, ROLE
from pipeline.queries.rows import TaskView, task_view

EXPORT_COLUMNS = ("case_ref", "action", "user_id", "first_name", "last_name", "email", "mobile", "role",
                  "mottaksnummer", "centres", "operator", "operator_id", "extends_user_id")
ACTIONS = {"grant": "opprett", REMOVAL: "fjern"}


def export_rows(session: Session, states: Iterable[str] = (APPROVED,)) -> list[dict[str, Any]]:
    rows = []
    for task in session.scalars(select(Task).where(Task.state.in_(tuple(states))).order_by(Task.id)):
        rows.append(export_row(task_view(task, with_reading=False)))
    return rows


def export_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["mottaksnummer"] = ";".join(c["mottaksnummer"] or "" for c in row["centres"])
        flat["centres"] = ";".join(c["name"] or "" for c in row["centres"])
        # A cell starting with = + - @ is a formula to a spreadsheet: keep names and numbers inert.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" and k != "mobile" else v)
                         for k, v in flat.items()})
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
        "centres": [{"mottaksnummer": c.mottaksnummer, "name": c.name or c.written} for c in task.centres],
        "operator": (task.operator or {}).get("organisation"),
        "operator_id": task.operator_id,
        "extends_user_id": task.extends_user_id,
    }
