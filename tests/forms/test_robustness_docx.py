"""Odd and hostile Word files give a reading or a typed FormError, never a traceback or a hang.

The corpus under reference/robustness/docx comes from other libraries' test suites; the hostile
packages are made here: a zip bomb, too many members, billion laughs, an external entity, deep
nesting, a macro-enabled content type, lying and broken zips.
"""

from __future__ import annotations

import io
import signal
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline.errors import CorruptFile, EncryptedFile, FormError, LimitExceeded, NotAForm, UnsupportedFormat
from pipeline.forms import FormReading, read_form
from pipeline.settings import Limits
from tests.conftest import REFERENCE
from tools.fixtures import docx_edit as d

pytestmark = pytest.mark.pure

CORPUS = sorted(p for p in (REFERENCE / "robustness" / "docx").rglob("*") if p.is_file()) if REFERENCE.is_dir() else []
HANG_GUARD_SECONDS = 30  # a hang guard, not a timing assertion: any file takes milliseconds


@contextmanager
def _hang_guard() -> Iterator[None]:
    def _raise(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError(f"reading took over {HANG_GUARD_SECONDS}s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(HANG_GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _outcome(data: bytes, name: str = "x.docx", limits: Limits | None = None) -> FormReading | FormError:
    with _hang_guard():
        try:
            return read_form(data, name, limits)
        except FormError as exc:
            assert exc.code and exc.message and exc.message_no
            return exc


def test_corpus_is_there(reference_dir):
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_reads_or_fails_typed(path: Path):
    result = _outcome(path.read_bytes(), path.name)
    # None of them is the IMDi form.
    assert isinstance(result, FormError), f"{path.name} read as a form: {result}"


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _with_document(xml: bytes) -> bytes:
    """The blank form's package with word/document.xml replaced."""
    src = zipfile.ZipFile(io.BytesIO(d.BLANK.read_bytes()))
    return _zip({n: (xml if n == "word/document.xml" else src.read(n)) for n in src.namelist()})


def test_zip_bomb_member_is_refused():
    bomb = _with_document(b"<w:document/>")
    with zipfile.ZipFile(io.BytesIO(bomb)) as src:
        members = {n: src.read(n) for n in src.namelist()}
    members["word/media/image1.png"] = b"\0" * (40 * 1024 * 1024)  # 40 MB of zeros: about 40 kB compressed
    assert isinstance(_outcome(_zip(members)), LimitExceeded)


def test_total_declared_size_is_capped():
    data = d.WordForm().to_bytes()
    assert isinstance(_outcome(data, limits=Limits(max_zip_uncompressed=100_000)), LimitExceeded)


def test_large_document_part_is_capped():
    data = d.WordForm().to_bytes()
    assert isinstance(_outcome(data, limits=Limits(max_xml_part_bytes=4096)), LimitExceeded)


def test_too_many_members():
    members = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<x/>"}
    members.update({f"word/media/{i}.bin": b"x" for i in range(1100)})
    assert isinstance(_outcome(_zip(members, zipfile.ZIP_STORED)), LimitExceeded)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>
<w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


def test_billion_laughs():
    result = _outcome(_with_document(BILLION_LAUGHS))
    assert isinstance(result, (LimitExceeded, CorruptFile))


def test_external_entity_is_never_resolved():
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           b"<w:p><w:r><w:t>Skjema om mottaksadministrativ bruker i IMDinett mottak &x;</w:t></w:r></w:p>"
           b"</w:body></w:document>")
    result = _outcome(_with_document(xxe))
    assert isinstance(result, CorruptFile)
    assert "root:" not in result.message


def test_deep_nesting():
    nested = b"<w:tbl><w:tr><w:tc>" * 120 + b"<w:p/>" + b"</w:tc></w:tr></w:tbl>" * 120
    xml = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + nested + b"</w:body></w:document>")
    assert isinstance(_outcome(_with_document(xml)), LimitExceeded)


def test_nested_tables_within_limits_still_read():
    nested = d.table([["Fornavn:", "Kari"]])
    for _ in range(20):
        nested = f"<w:tbl><w:tr><w:tc>{nested}<w:p/></w:tc></w:tr></w:tbl>"
    data = d.minimal_docx(d.para("Skjema om mottaksadministrativ bruker i IMDinett mottak")
                          + d.para("Opplysninger om driftsoperatør:") + nested)
    result = _outcome(data)
    assert isinstance(result, FormReading) and result.value("applicant.first_name") == "Kari"


def test_macro_enabled_document_is_unsupported():
    data = d.minimal_docx(d.para("Skjema"), content_type="application/vnd.ms-word.document.macroEnabled.main+xml")
    assert isinstance(_outcome(data, "skjema.docm"), UnsupportedFormat)


def test_spreadsheet_package_is_unsupported():
    data = d.minimal_docx(d.para("x"), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    assert isinstance(_outcome(data), UnsupportedFormat)


@pytest.mark.parametrize("data", [
    b"PK\x03\x04" + b"\0" * 26 + b"word/document.xml" + b"\0" * 200,  # a local header and nothing else
    d.WordForm().to_bytes()[:5000],  # truncated
    _zip({"[Content_Types].xml": b"<Types/>", "word/other.xml": b"<x/>"}),  # no main document
    _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document><w:body>"}),  # broken XML
])
def test_broken_packages_are_corrupt(data):
    assert isinstance(_outcome(data), CorruptFile)


def test_lying_size_header_is_caught():
    """A member whose central directory claims fewer bytes than it holds: the CRC check catches it."""
    data = bytearray(_with_document(b"<w:document>" + b" " * 50_000 + b"</w:document>"))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("word/document.xml")
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"word/document.xml") + 1)
    data[central + 24:central + 28] = (100).to_bytes(4, "little")  # uncompressed size
    local = info.header_offset
    data[local + 22:local + 26] = (100).to_bytes(4, "little")
    assert isinstance(_outcome(bytes(data)), (CorruptFile, NotAForm))


def test_old_binary_doc_is_unsupported():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000
    result = _outcome(data, "skjema.doc")
    assert isinstance(result, UnsupportedFormat) and result.code == "unsupported.format"


def test_password_protected_docx_is_encrypted_not_old_doc():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000
    assert isinstance(_outcome(data, "skjema.docx"), EncryptedFile)


def test_body_with_too_many_blocks():
    body = d.para("Skjema om mottaksadministrativ bruker i IMDinett mottak") + d.para("x") * 300
    assert isinstance(_outcome(d.minimal_docx(body), limits=Limits(max_docx_blocks=100)), LimitExceeded)
