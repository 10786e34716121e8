"""Fixtures for the checks: the reference registry loaded, a well-filled form, open tasks."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from pipeline.adapters.db.models import Message, Task, TaskCentre
from pipeline.adapters.db.session import open_database, unit_of_work
from pipeline.checks import make_reading
from pipeline.forms.reading import FormReading
from pipeline.registry import MemoryRegistry
from pipeline.settings import Settings
from tests.conftest import Templates
from tests.registry.helpers import reference

# Nordkalotten Mottak AS (DRO1032) runs Alta, Storslett, Gratangen (two administrators already) ...
GOOD = dict(
    organisation="Nordkalotten Mottak AS", manager="Bente Pål Johansen",
    op_email="bente.pal.johansen@nordkalotten-mottak.no", op_phone="78 79 08 41",
    first_name="Kari", last_name="Testesen", email="kari.testesen@nordkalotten-mottak.no",
    mobile="415 55 123", position="Mottaksleder", centres=["Alta asylmottak", "Storslett asylmottak"],
)
SENDER = "bente.pal.johansen@nordkalotten-mottak.no"


def form(**changes: Any) -> FormReading:
    return make_reading(**{**GOOD, **changes})


@pytest.fixture
def registry_database_url(tmp_path, registry_template):  # type: ignore[no-untyped-def]
    """A database of the test's own holding the reference registry: a copy of one migrated and imported once
    per session and database (saves a migration and an import per test)."""
    with Templates.copy(registry_template, tmp_path / "registry.sqlite3", "r") as url:
        yield url


@pytest.fixture
def registry(tmp_path, registry_database_url):  # type: ignore[no-untyped-def]
    """A session factory on a database of its own holding the reference registry."""
    factory = open_database(Settings(data_dir=tmp_path, database_url=registry_database_url))
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture(scope="session")
def _memory_template(reference_dir):  # type: ignore[no-untyped-def]
    return MemoryRegistry.from_files(**reference(reference_dir))


@pytest.fixture
def memory(_memory_template) -> MemoryRegistry:  # type: ignore[no-untyped-def]
    """The reference registry in memory (no database), a copy of its own for each test."""
    return _memory_template.copy()


_refs = count(1)


def add_open_task(db, *, first: str, last: str, email: str | None, mobile: str,  # type: ignore[no-untyped-def]
                  centres: tuple[tuple[str, str], ...] = (), state: str = "review",
                  extends_user_id: str | None = None) -> int:
    """An open grant task as the queue would store it (message, task, its resolved centres), in the database
    behind a session factory or in a MemoryRegistry."""
    n = next(_refs)
    if isinstance(db, MemoryRegistry):
        db.add_task(100_000 + n, f"2026-{9000 + n}", first_name=first, last_name=last, email=email, mobile=mobile,
                    centres=[nr for nr, _ in centres], state=state, extends_user_id=extends_user_id)
        return 100_000 + n
    with unit_of_work(db) as s:
        msg = Message(sha256=f"{n:064d}", sender="x@example.no", outcome="queued", size=0)
        s.add(msg)
        s.flush()
        task = Task(case_ref=f"2026-{9000 + n}", state=state, message_pk=msg.id, first_name=first,
                    last_name=last, email=email, mobile=mobile, extends_user_id=extends_user_id)
        task.centres = [TaskCentre(position=i, written=name, mottaksnummer=nr, name=name)
                        for i, (nr, name) in enumerate(centres)]
        s.add(task)
        s.flush()
        return task.id
