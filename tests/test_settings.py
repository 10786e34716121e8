"""One settings object: every PIPELINE_* variable read by one rule, documented in one table (the README's)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import Settings, entries, markdown_table, shown_values

pytestmark = pytest.mark.pure

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_are_the_dataclass_defaults():
    s = Settings.from_env(environ={})
    assert s == Settings()
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.user, s.smtp.password) == (
        None, None, "starttls", None, None)
    assert (s.smtp.timeout, s.reply_max_per_hour, s.reminder_working_days, s.retention_days) == (30.0, 10, 3, 180)
    assert (s.worker.max_attempts, s.worker.health_minutes, s.web.max_failed_logins) == (3, 30, 10)


def test_read_from_the_environment():
    env = {"PIPELINE_SMTP_HOST": "smtp.example.org", "PIPELINE_SMTP_PORT": "465", "PIPELINE_SMTP_SECURITY": "SSL",
           "PIPELINE_SMTP_USER": "imdi", "PIPELINE_SMTP_PASSWORD": "hemmelig", "PIPELINE_SMTP_TIMEOUT": "2.5",
           "PIPELINE_REPLY_MAX_PER_HOUR": "2", "PIPELINE_REMINDER_WORKING_DAYS": "5", "PIPELINE_RETENTION_DAYS": "30",
           "PIPELINE_LIMIT_PARSE_SECONDS": "7.5", "PIPELINE_IMAP_IDLE": "off", "PIPELINE_WEB_COOKIE_SECURE": "no",
           "PIPELINE_HEALTH_MINUTES": "12", "PIPELINE_DATA_DIR": "/srv/pipeline"}
    s = Settings.from_env(environ=env)
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.user, s.smtp.password, s.smtp.timeout) == (
        "smtp.example.org", 465, "ssl", "imdi", "hemmelig", 2.5)
    assert (s.reply_max_per_hour, s.reminder_working_days, s.retention_days) == (2, 5, 30)
    assert (s.limits.parse_seconds, s.imap.idle, s.web.cookie_secure, s.worker.health_minutes) == (7.5, False, False, 12)
    assert s.data_dir == Path("/srv/pipeline")
    assert "hemmelig" not in repr(s)  # a password stays out of logs and tracebacks
    assert ("PIPELINE_SMTP_PASSWORD", "***") in shown_values(s)


def test_an_empty_value_is_the_default_everywhere():
    env = {e.variable: "" for e in entries()}
    assert Settings.from_env(environ=env) == Settings()


def test_explicit_arguments_win_over_the_environment():
    s = Settings.from_env("/tmp/x", "sqlite:///y.db", environ={"PIPELINE_DATA_DIR": "/z"})
    assert (s.data_dir, s.database_url) == (Path("/tmp/x"), "sqlite:///y.db")


@pytest.mark.parametrize("name, value", [
    ("SMTP_PORT", "smtp"), ("RETENTION_DAYS", "-1"), ("REPLY_MAX_PER_HOUR", "fem"), ("SMTP_TIMEOUT", "x"),
    ("WEB_MAX_FAILED_LOGINS", "many"), ("WEB_MAX_FAILED_LOGINS", "0"), ("WEB_COOKIE_SECURE", "kanskje"),
    ("IMAP_SSL", "maybe"), ("LIMIT_MAX_FILE_BYTES", "1e6"), ("WORKER_MAX_ATTEMPTS", "0"),
])
def test_a_bad_value_is_a_config_error_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=f"PIPELINE_{name}"):
        Settings.from_env(environ={f"PIPELINE_{name}": value})


def test_every_variable_is_in_the_readme_table():
    """The README's table is the generated one (python -m pipeline.settings prints it)."""
    text = README.read_text(encoding="utf-8")
    assert markdown_table() in text, "README's settings table is stale: paste `python -m pipeline.settings`"
    documented = set(re.findall(r"`(PIPELINE_[A-Z0-9_]+)`", text))
    assert {e.variable for e in entries()} <= documented


def test_settings_passed_in_win_over_the_environment(monkeypatch):
    """Code below the entry points never reads PIPELINE_*: drafting a reply signs with the settings given."""
    from pipeline.core.render import render
    from pipeline.steps.task_data import reply_context

    monkeypatch.setenv("PIPELINE_SIGNATURE", "Fra miljøet")
    ctx = reply_context(None, replace(Settings(), signature="Hilsen fra innstillingene"))
    assert "Hilsen fra innstillingene" in render("no_form", ctx).text
