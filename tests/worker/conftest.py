"""Dovecot for the worker tests: one server per session, a fresh user (empty mailbox) per test; the reference
registry in the test's database when it asks for `registry`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.settings import ImapSettings, Settings
from tests.conftest import Templates, migrated_copy_source
from tests.servers.dovecot import Dovecot, start_dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> str:
    """A fresh mailbox (the `settings` of a test that asks for it point the worker at it)."""
    user = dovecot.new_user()
    # Create the mailbox so that APPENDs work before the worker's first login.
    client = dovecot.client(user)
    client.logout()
    return user


def imap_settings(server: Dovecot, user: str, **changes: object) -> ImapSettings:
    return replace(ImapSettings(host=server.host, port=server.port, ssl_mode="plain", user=user,
                                password=server.password, idle_renew_seconds=5, poll_seconds=1, timeout=10),
                   **changes)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The test's settings; with the worker's IMAP settings for the test's mailbox when it has one."""
    if "imap_user" not in request.fixturenames:
        return settings
    user = request.getfixturevalue("imap_user")
    return replace(settings, imap=imap_settings(request.getfixturevalue("dovecot"), user))


def env_for_subprocess(dovecot: Dovecot, user: str, database_url: str, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PIPELINE_IMAP_HOST": dovecot.host, "PIPELINE_IMAP_PORT": str(dovecot.port),
                "PIPELINE_IMAP_SSL": "plain", "PIPELINE_IMAP_USER": user,
                "PIPELINE_IMAP_PASSWORD": dovecot.password, "PIPELINE_DATABASE_URL": database_url,
                "PIPELINE_DATA_DIR": data_dir, "PIPELINE_IMAP_TIMEOUT": "10", "PIPELINE_AUTHSERV_ID": "mx.imdi.no"})
    return env


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, db_templates: Templates,
                 database_backend: str) -> Iterator[str]:
    """The test's database; one that already holds the reference registry when the test asks for `registry`
    (a copy of a template that has it: importing it costs a second or two a test)."""
    template = (request.getfixturevalue("registry_template") if "registry" in request.fixturenames
                else migrated_copy_source(db_templates, database_backend))
    with Templates.copy(template, tmp_path / "test.sqlite3") as url:
        yield url


@pytest.fixture
def registry(database_url: str) -> None:
    """The shared registry (operators, centres, users) in the test database: `database_url` copied it in."""
