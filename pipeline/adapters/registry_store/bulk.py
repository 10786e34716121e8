"""What the registry's importers share: progress reporting and bulk reads and writes in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

Progress = Callable[[str, int, int], None]  # (kind, rows done, rows in all)
CHUNK = 500


def load(session: Session, model: type, columns: list[str]) -> list[dict[str, Any]]:
    """Every row of a registry table as a dict of the given columns (one query)."""
    table = model.__table__  # type: ignore[attr-defined]
    return [dict(r._mapping) for r in session.execute(select(*(table.c[c] for c in columns)))]


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
