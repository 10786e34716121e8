"""The test run's own machinery (tests/conftest.py): what a process is handed at a time."""

from __future__ import annotations

import pytest

from tests.conftest import work_unit

pytestmark = pytest.mark.pure


def test_a_files_tests_on_one_database_are_one_unit() -> None:
    assert work_unit("tests/web/test_day.py::test_queue[sqlite]") == "tests/web/test_day.py:sqlite"
    assert work_unit("tests/web/test_day.py::test_queue[postgresql]") == "tests/web/test_day.py:postgresql"
    assert work_unit("tests/worker/test_ingest.py::test_status[postgresql-failed]") == \
        "tests/worker/test_ingest.py:postgresql"
    assert work_unit("tests/security/test_guards.py::test_files[sqlite-flate-bomb]") == \
        "tests/security/test_guards.py:sqlite"
    # One database only, or none: the file is the unit; a parameter that merely names a database is no backend.
    assert work_unit("tests/web/test_browser.py::test_day[desktop]") == "tests/web/test_browser.py"
    assert work_unit("tests/test_cli.py::test_url[postgresql+psycopg://x@127.0.0.1:1/db]") == "tests/test_cli.py"

