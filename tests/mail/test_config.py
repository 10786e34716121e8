"""IMAP settings, XOAUTH2 tokens from a command, and which structures can carry a form."""

from __future__ import annotations

import pytest

from pipeline.adapters.mail.oauth import access_token
from pipeline.adapters.mail.structure import can_carry_form
from pipeline.errors import ConfigError
from pipeline.settings import ImapSettings

pytestmark = pytest.mark.pure


def test_defaults_and_validation():
    cfg = ImapSettings(host="imap.example.no", user="post@example.no", password="x").checked()
    assert (cfg.port, cfg.ssl_mode, cfg.folder, cfg.keyword, cfg.since_days) == (993, "ssl", "INBOX", "$IMDiSkjema", 30)
    with pytest.raises(ConfigError, match="loopback"):
        ImapSettings(host="imap.example.no", user="u", password="x", ssl_mode="plain").checked()
    assert ImapSettings(host="imap.example.no", user="u", password="x", ssl_mode="starttls").checked().port == 143
    with pytest.raises(ConfigError, match="PIPELINE_IMAP_PASSWORD"):
        ImapSettings(host="imap.example.no", user="post@example.no").checked()
    with pytest.raises(ConfigError, match="PIPELINE_IMAP_HOST"):
        ImapSettings().checked()


def test_token_from_command():
    cfg = ImapSettings(host="outlook.office365.com", user="post@example.no",
                       oauth_token_command="echo  token-123 ").checked()
    assert cfg.uses_oauth and access_token(cfg) == "token-123"


def test_bodystructure_candidates():
    logo = (b"image", b"png", (b"name", b"logo.png"), None, None, b"base64", 100)
    docx_named = (b"application", b"octet-stream", (b"name", b"=?utf-8?B?U2tqZW1hLmRvY3g=?="), None, None,
                  b"base64", 100)
    text = (b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 10, 1)
    assert not can_carry_form(([text, logo], b"mixed"), b"Hei")
    assert can_carry_form(([text, docx_named], b"mixed"), b"Hei")
    assert can_carry_form(text, b"=?utf-8?q?Skjema_for_Kari?=")


def test_a_picture_big_enough_for_a_page_is_a_candidate_and_a_logo_is_not():
    text = (b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 30, 2)

    def picture(subtype: bytes, octets: int, encoding: bytes = b"base64", name: bytes = b"image0.jpeg"):  # type: ignore[no-untyped-def]
        return (b"image", subtype, (b"name", name), None, None, encoding, octets, None,
                (b"inline", (b"filename", name)), None)

    # The iPhone: "Sendt fra min iPhone" and the photo inline, under a subject that says nothing.
    assert can_carry_form(([text, picture(b"jpeg", 600_000)], b"mixed"), b"Her er det")
    assert can_carry_form(([text, picture(b"heic", 300_000, name=b"IMG_5120.HEIC")], b"mixed"), None)
    assert can_carry_form(([text, ([text, picture(b"png", 90_000)], b"related")], b"alternative"), b"")
    # Signature logos and icons: too small to hold a page (30 kB decoded; base64 counts 4 for 3).
    assert not can_carry_form(([text, picture(b"png", 12_000, name=b"image001.png")], b"mixed"), b"Hei")
    assert not can_carry_form(([text, picture(b"jpeg", 40_000)], b"mixed"), b"Hei")
    assert can_carry_form(([text, picture(b"jpeg", 40_000, encoding=b"binary")], b"mixed"), b"Hei")
    # Not a picture OCR reads.
    assert not can_carry_form(([text, picture(b"gif", 600_000, name=b"smil.gif")], b"mixed"), b"Hei")
