"""Reply, SMTP, reminder and retention settings come from PIPELINE_* through Settings.from_env."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import Settings

pytestmark = pytest.mark.pure

NAMES = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "SMTP_TIMEOUT",
         "REPLY_MAX_PER_HOUR", "REMINDER_WORKING_DAYS", "RETENTION_DAYS")


@pytest.fixture
def clean_env(monkeypatch):  # type: ignore[no-untyped-def]
    for name in NAMES:
        monkeypatch.delenv(f"PIPELINE_{name}", raising=False)
    return monkeypatch


def test_safe_defaults(clean_env):
    s = Settings.from_env()
    assert (s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.smtp_password) == (
        None, None, "starttls", None, None)
    assert (s.smtp_timeout, s.reply_max_per_hour, s.reminder_working_days, s.retention_days) == (30.0, 10, 3, 180)
    assert Settings() == Settings(data_dir=s.data_dir)  # the dataclass defaults are the same


def test_read_from_the_environment(clean_env):
    values = {"SMTP_HOST": "smtp.example.org", "SMTP_PORT": "465", "SMTP_SECURITY": "SSL", "SMTP_USER": "imdi",
              "SMTP_PASSWORD": "hemmelig", "SMTP_TIMEOUT": "2.5", "REPLY_MAX_PER_HOUR": "2",
              "REMINDER_WORKING_DAYS": "5", "RETENTION_DAYS": "30"}
    for name, value in values.items():
        clean_env.setenv(f"PIPELINE_{name}", value)
    s = Settings.from_env()
    assert (s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.smtp_password, s.smtp_timeout) == (
        "smtp.example.org", 465, "ssl", "imdi", "hemmelig", 2.5)
    assert (s.reply_max_per_hour, s.reminder_working_days, s.retention_days) == (2, 5, 30)
    assert "hemmelig" not in repr(s)  # the password stays out of logs and tracebacks


@pytest.mark.parametrize("name, value", [("SMTP_PORT", "smtp"), ("RETENTION_DAYS", "-1"),
                                         ("REPLY_MAX_PER_HOUR", "fem"), ("SMTP_TIMEOUT", "x")])
def test_a_bad_number_is_a_config_error(clean_env, name, value):
    clean_env.setenv(f"PIPELINE_{name}", value)
    with pytest.raises(ConfigError, match=f"PIPELINE_{name}"):
        Settings.from_env()
