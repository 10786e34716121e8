"""Dovecot for the worker tests: one server per session, a fresh user (empty mailbox) per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.adapters.db.session import unit_of_work
from pipeline.settings import ImapSettings, Settings
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
def registry(db, reference_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """The shared registry (operators, centres, users) imported into the test database."""
    from pipeline.adapters.registry_store import import_registry

    reg = reference_dir / "registry"
    with unit_of_work(db) as session:
        import_registry(session, reg / "operators.csv", reg / "centres.csv", reg / "users.csv")
