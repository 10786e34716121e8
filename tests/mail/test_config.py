"""IMAP settings from the environment, and XOAUTH2 tokens from a command."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.mail.config import ImapConfig
from pipeline.mail.oauth import access_token
from pipeline.mail.structure import can_carry_form

pytestmark = pytest.mark.pure


def test_defaults_and_validation(monkeypatch):
    monkeypatch.setenv("PIPELINE_IMAP_HOST", "imap.example.no")
    monkeypatch.setenv("PIPELINE_IMAP_USER", "post@example.no")
    monkeypatch.setenv("PIPELINE_IMAP_PASSWORD", "x")
    cfg = ImapConfig.from_env()
    assert (cfg.port, cfg.ssl_mode, cfg.folder, cfg.keyword, cfg.since_days) == (993, "ssl", "INBOX", "$IMDiSkjema", 30)
    monkeypatch.setenv("PIPELINE_IMAP_SSL", "plain")
    with pytest.raises(ConfigError):
        ImapConfig.from_env()  # plain text only on loopback
    monkeypatch.setenv("PIPELINE_IMAP_SSL", "starttls")
    assert ImapConfig.from_env().port == 143
    monkeypatch.delenv("PIPELINE_IMAP_PASSWORD")
    with pytest.raises(ConfigError):
        ImapConfig.from_env()


def test_token_from_command(monkeypatch):
    monkeypatch.setenv("PIPELINE_IMAP_HOST", "outlook.office365.com")
    monkeypatch.setenv("PIPELINE_IMAP_USER", "post@example.no")
    monkeypatch.setenv("PIPELINE_IMAP_OAUTH_TOKEN_COMMAND", "echo  token-123 ")
    cfg = ImapConfig.from_env()
    assert cfg.uses_oauth and access_token(cfg) == "token-123"


def test_bodystructure_candidates():
    logo = (b"image", b"png", (b"name", b"logo.png"), None, None, b"base64", 100)
    docx_named = (b"application", b"octet-stream", (b"name", b"=?utf-8?B?U2tqZW1hLmRvY3g=?="), None, None,
                  b"base64", 100)
    text = (b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 10, 1)
    assert not can_carry_form(([text, logo], b"mixed"), b"Hei")
    assert can_carry_form(([text, docx_named], b"mixed"), b"Hei")
    assert can_carry_form(text, b"=?utf-8?q?Skjema_for_Kari?=")
