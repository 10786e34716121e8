"""A generated registry of 100,000 users and 2,000 centres imports in bulk (slow, still run in CI)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pipeline.adapters.db.models import RegistryCentre, RegistryUser
from pipeline.adapters.registry_store import RegistryView
from tests.registry.generate import write_registry
from tests.registry.helpers import counts, import_files

pytestmark = pytest.mark.slow


def test_100k_users_and_2000_centres(db, tmp_path):
    files = write_registry(tmp_path / "gen", users=100_000, centres=2000)
    ticks: list[tuple[str, int, int]] = []
    report = import_files(db, files, progress=lambda kind, done, total: ticks.append((kind, done, total)))
    assert report.ok, report.rejected[:5]
    assert counts(report)["users"] == (100_000, 0, 0, 0)
    assert counts(report)["centres"] == (2000, 0, 0, 0)
    user_ticks = [t for t in ticks if t[0] == "users"]
    assert len(user_ticks) > 10 and user_ticks[-1] == ("users", 100_000, 100_000)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(RegistryUser)) == 100_000
        assert s.scalar(select(func.count()).select_from(RegistryCentre)) == 2000
        view = RegistryView(s)
        some = s.scalars(select(RegistryUser).limit(1)).one()
        assert view.user_by_mobile(some.mobile).user_id == some.user_id
        assert view.admin_count("0100") == 2
