"""Every PDF in reference/robustness/pdfs gives a reading or a typed error, within the sandbox's bounds.

None of them is the form, so in practice each one is not_a_form, unreadable.* or limit.exceeded.
The parse runs in the sandbox child (time and memory limits), so a pathological file cannot hang
or exhaust the test run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import errors
from pipeline.forms import FormReading, read_form
from tests.conftest import REFERENCE

pytestmark = pytest.mark.pure

ROOT = REFERENCE / "robustness" / "pdfs"
FILES = sorted(p for p in ROOT.rglob("*") if p.is_file()) if ROOT.is_dir() else []

# Need a password to open. The other files under encryption/ open without one: an owner password
# only, or an empty user password (pypdf's decrypt("") succeeds on them too).
NEEDS_PASSWORD = {
    "pdfplumber/password-example.pdf",
    "pypdf/crazyones-encrypted-256.pdf",
    "pypdf/encrypted-file.pdf",
    "pypdf/libreoffice-writer-password.pdf",
    "pypdf/encryption/r2-user-password.pdf",
    "pypdf/encryption/r3-user-password.pdf",
    "pypdf/encryption/r4-aes-user-password.pdf",
    "pypdf/encryption/r6-both-passwords.pdf",
}
OPENS_WITHOUT_PASSWORD = {
    "pypdf/encryption/r2-owner-password.pdf",
    "pypdf/encryption/r4-owner-password.pdf",
    "pypdf/encryption/r6-owner-password.pdf",
    "pypdf/encryption/r6-empty-password.pdf",
}


def test_the_corpus_is_there(reference_dir: Path):
    assert len(FILES) > 50, f"no robustness PDFs under {ROOT}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_robustness_file_gives_reading_or_typed_error(path: Path):
    name = str(path.relative_to(ROOT))
    try:
        result: FormReading | errors.FormError = read_form(path.read_bytes(), path.name)
    except errors.FormError as exc:  # anything else fails the test: it would be a traceback in the worker
        result = exc
        assert exc.code and exc.message
    if name in NEEDS_PASSWORD:
        assert isinstance(result, errors.EncryptedFile), f"{name}: {result!r}"
    elif name in OPENS_WITHOUT_PASSWORD:
        assert not isinstance(result, errors.EncryptedFile), f"{name} should open without a password"
    # None of these is the form.
    assert not isinstance(result, FormReading), f"{name} read as a form"
