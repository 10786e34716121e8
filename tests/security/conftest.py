"""The security tests: the reference registry, and a case from Fjellbu Mottak AS to attack."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Reply, Task
from pipeline.adapters.db.session import unit_of_work
from pipeline.usecases.ingest import ingest_message
from tests.security import hostile
from tests.web.conftest import app, client, logged_in  # noqa: F401  (the web fixtures, for the case page)


@pytest.fixture
def registry(db, reference_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.adapters.registry_store import import_registry

    reg = reference_dir / "registry"
    with unit_of_work(db) as session:
        import_registry(session, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")


@pytest.fixture
def open_case(db, settings, registry):  # type: ignore[no-untyped-def]
    """Kari Berg's verified form for Jonas Lunde without a mobile: a case waiting for information."""
    msg = ingest_message(db, hostile.good_form_mail(mobile=None), source=None, settings=settings)
    assert msg.outcome == "needs_info" and msg.sender_verified
    with db() as s:
        task = s.scalars(select(Task)).one()
        request = s.scalars(select(Reply).where(Reply.task_id == task.id)).one()
        assert request.kind == "needs_info"
        return task, request
