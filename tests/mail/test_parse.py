"""MIME parsing: headers, bodies, every kind of part, and never an exception on junk."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.adapters.mail.parse import parse_message
from tests.mail.builders import DOCX_TYPE, OLE_DOC, PNG, mail, raw, zipped

pytestmark = pytest.mark.pure

FAKE_DOCX = zipped(("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"))


def test_headers_sender_and_threading():
    msg = mail("Re: Skjema [2026-0042]", sender='"Ærlig, Åse" <Aase@Fjordmottak.NO>',
               headers={"In-Reply-To": "<a@x>", "References": "<r1@x> <a@x>"})
    p = parse_message(raw(msg))
    assert p.sender == "aase@fjordmottak.no"
    assert p.sender_name == "Ærlig, Åse"
    assert p.subject == "Re: Skjema [2026-0042]"
    assert p.message_id and p.message_id.startswith("<")
    assert p.in_reply_to == "<a@x>"
    assert p.references == ["<r1@x>", "<a@x>"]
    assert p.date is not None and p.date.year == 2026
    assert p.auto_reply is None


def test_authentication_results_only_the_receiving_hosts_counts():
    msg = mail(headers={"Authentication-Results": "mx.imdi.no; spf=pass smtp.mailfrom=fjordmottak.no; "
                        "dkim=fail header.d=fjordmottak.no; dmarc=fail (p=reject) header.from=fjordmottak.no"})
    msg["Authentication-Results"] = "evil.example; spf=pass; dkim=pass; dmarc=pass header.from=fjordmottak.no"
    p = parse_message(raw(msg), authserv_id="mx.imdi.no")
    assert p.auth is not None
    assert (p.auth["spf"], p.auth["dkim"], p.auth["dmarc"], p.auth["header_from"]) == ("pass", "fail", "fail",
                                                                                      "fjordmottak.no")
    assert (p.verified, p.verification) == (False, "DMARC fail")
    # Without the receiving host's id configured nothing is trusted; with it, DMARC pass verifies.
    assert parse_message(raw(mail())).verified is False
    good = parse_message(raw(mail()), authserv_id="mx.imdi.no")
    assert (good.verified, good.auth and good.auth["rule"]) == (True, "dmarc")


@pytest.mark.parametrize("headers,subject", [
    ({"Auto-Submitted": "auto-replied"}, "Skjema"),
    ({"X-Autoreply": "yes"}, "Skjema"),
    ({"X-Autorespond": "yes"}, "Skjema"),
    ({"Precedence": "bulk"}, "Nyhetsbrev"),
    ({"Precedence": "junk"}, "Skjema"),
    ({"Precedence": "list"}, "Skjema"),
    ({"X-Auto-Response-Suppress": "All", "X-MS-Exchange-Inbox-Rules-Loop": "kari@fjordmottak.no"}, "Skjema"),
    ({"Return-Path": "<>"}, "Skjema"),
    ({}, "Automatisk svar: Skjema"),
    ({}, "Fraværsmelding: Skjema"),
    ({}, "Out of Office: Skjema"),
    ({}, "Undeliverable: Skjema"),
    ({}, "Returned mail: see transcript for details"),
])
def test_auto_replies_and_bounces(headers, subject):
    assert parse_message(raw(mail(subject, headers=headers))).auto_reply


def test_auto_submitted_no_is_a_person():
    assert parse_message(raw(mail(headers={"Auto-Submitted": "no"}))).auto_reply is None


def test_multipart_report_bounce():
    bounce = (b"From: Postkontoret <post@example.no>\r\nSubject: Levering mislyktes\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
              b"--b\r\nContent-Type: text/plain\r\n\r\nMeldingen kunne ikke leveres.\r\n"
              b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.no\r\n"
              b"--b--\r\n")
    assert parse_message(bounce).auto_reply == "multipart/report"


def test_attachment_variants_are_found_and_sniffed():
    inner = mail("Skjema", attachments=[("skjema.docx", FAKE_DOCX, DOCX_TYPE)])
    outer = mail("Fwd: Skjema", attachments=[
        ("logo.png", PNG, "image/png"),
        ("skjema.doc", OLE_DOC, "application/msword"),
        ("skjemaer.zip", zipped(("mappe/skjema.docx", FAKE_DOCX), ("__MACOSX/._skjema.docx", b"x")),
         "application/zip"),
        ("Skjema ø.docx", FAKE_DOCX, "application/octet-stream"),
        ("feil-type.txt", FAKE_DOCX, "text/plain"),
    ])
    outer.add_attachment(inner)
    parts = parse_message(raw(outer)).parts
    by_origin = {(p.origin, p.filename): p for p in parts}
    assert not by_origin[("attachment", "logo.png")].candidate
    assert by_origin[("attachment", "skjema.doc")].format == "doc"
    assert by_origin[("zip:skjema.docx", "skjema.docx")].format == "docx"
    assert by_origin[("attachment", "Skjema ø.docx")].candidate
    assert by_origin[("attachment", "feil-type.txt")].format == "docx"  # sniffed, whatever the type says
    assert by_origin[("attachment", "feil-type.txt")].candidate
    assert by_origin[("rfc822>attachment", "skjema.docx")].candidate
    assert not any(p.filename and p.filename.startswith("._") for p in parts)


def test_encoded_word_and_rfc2231_file_names():
    data = base64.b64encode(FAKE_DOCX).decode()
    raw_mail = (
        "From: kari@fjordmottak.no\r\nSubject: skjema\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHei\r\n'
        "--b\r\nContent-Type: application/octet-stream; name=\"=?utf-8?B?U2tqZW1hIGbDuHIgw6VyZXQuZG9jeA==?=\"\r\n"
        "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n" + data + "\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=utf-8''Skjema%20%C3%A6%C3%B8%C3%A5.docx\r\n\r\n" + data +
        "\r\n--b--\r\n"
    ).encode()
    names = [p.filename for p in parse_message(raw_mail).parts]
    assert names == ["Skjema før året.docx", "Skjema æøå.docx"]
    assert all(p.candidate for p in parse_message(raw_mail).parts)


def test_zip_bomb_is_recorded_not_expanded():
    bomb = zipped(("skjema.docx", b"\0" * (30 * 1024 * 1024)))
    parts = parse_message(raw(mail(attachments=[("skjema.zip", bomb, "application/zip")]))).parts
    assert len(parts) == 1 and parts[0].error is not None and parts[0].error.code == "limit.exceeded"


def test_tnef_winmail_dat(reference_dir: Path):
    sample = next((reference_dir / "robustness" / "emails").rglob("tnef-rich-text.eml"))
    parts = parse_message(sample.read_bytes()).parts
    assert parts and all(p.origin == "tnef" for p in parts)


def test_html_only_body_is_stripped():
    msg = EmailMessage()
    msg["From"] = "kari@fjordmottak.no"
    msg["Subject"] = "Skjema"
    msg.set_content("<html><head><style>p{}</style></head><body><p>Navn p&aring; firma:</p>"
                    "<p>Fjordmottak AS</p></body></html>", subtype="html")
    body = parse_message(bytes(msg)).body_text
    assert "Navn på firma:" in body and "Fjordmottak AS" in body and "<p>" not in body and "p{}" not in body


@pytest.mark.parametrize("junk", [b"", b"\x00\xff" * 100, b"From: \r\n\r\n", b"Subject: =?utf-8?q?broken\r\n\r\nx",
                                  b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n"])
def test_junk_never_raises(junk):
    parse_message(junk)


def test_every_robustness_email_parses(reference_dir: Path):
    files = sorted(p for p in (reference_dir / "robustness" / "emails").rglob("*") if p.is_file()
                   and p.suffix not in (".md", ".txt"))
    assert len(files) > 100
    for path in files:
        parsed = parse_message(path.read_bytes())
        assert isinstance(parsed.body_text, str), path


def test_a_photo_is_a_candidate_only_without_a_form_file_and_never_a_logo():
    """An iPhone sends the photographed form inline as image0.jpeg, like a signature logo."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((1200, 1600), 60).save(buf, format="JPEG", quality=90)
    photo = buf.getvalue()
    assert len(photo) > 30 * 1024
    alone = mail(attachments=[("image0.jpeg", photo, "image/jpeg"), ("logo.png", PNG, "image/png")])
    parts = {p.filename: p for p in parse_message(raw(alone)).parts}
    assert parts["image0.jpeg"].candidate and parts["image0.jpeg"].format == "image"
    assert not parts["logo.png"].candidate
    with_form = mail(attachments=[("image0.jpeg", photo, "image/jpeg"), ("skjema.docx", FAKE_DOCX, DOCX_TYPE)])
    parts = {p.filename: p for p in parse_message(raw(with_form)).parts}
    assert parts["skjema.docx"].candidate and not parts["image0.jpeg"].candidate
    small = io.BytesIO()
    Image.effect_noise((300, 120), 60).save(small, format="PNG")
    assert not parse_message(raw(mail(attachments=[("logo.png", small.getvalue(), "image/png")]))).parts[0].candidate
