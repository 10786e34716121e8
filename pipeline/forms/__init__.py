"""Read a filled form out of an attachment: bytes in, FormReading out (pure).

`read_form` sniffs the format from the bytes (the name and content type people send are often
wrong) and raises a `FormError` subclass, never a library's exception.
"""

from __future__ import annotations

from pipeline.errors import CorruptFile, EncryptedFile, LimitExceeded, UnsupportedFormat
from pipeline.forms.reading import FieldValue, FormReading, Provenance
from pipeline.settings import Limits

__all__ = ["FieldValue", "FormReading", "Provenance", "read_form", "sniff_format"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # an OLE directory entry name


def sniff_format(data: bytes, filename: str | None = None) -> str:
    """'docx', 'pdf', 'doc', 'rtf', 'zip', 'image' (JPEG, PNG, TIFF, HEIC: read by OCR) or 'unknown'."""
    from pipeline.forms.ocr import image_kind

    head = data[:1024]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        name = (filename or "").lower()
        if name.endswith(".zip"):
            return "zip"
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536] else "zip"
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return "doc"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if image_kind(head) is not None:
        return "image"
    return "unknown"


def read_form(data: bytes, filename: str | None = None, limits: Limits | None = None, *,
              seconds: float | None = None, domains: tuple[str, ...] = ()) -> FormReading:
    """`seconds`: the most a sandboxed parse may take (what the mail has left), under limits.parse_seconds.
    `domains`: e-mail domains the driftsoperatør is known by (OCR rebuilds addresses towards them)."""
    limits = limits or Limits()
    if len(data) > limits.max_file_bytes:
        raise LimitExceeded(f"file is {len(data)} bytes, the limit is {limits.max_file_bytes}")
    kind = sniff_format(data, filename)
    if kind == "docx":
        from pipeline.forms.docx_reader import read_docx

        return read_docx(data, filename, limits)
    if kind == "pdf":
        from pipeline.forms.pdf_reader import read_pdf

        return read_pdf(data, filename, limits, seconds=seconds, domains=domains)
    if kind == "image":
        from pipeline.forms.ocr import read_image

        return read_image(data, filename, limits, seconds=seconds, domains=domains)
    if kind == "doc":
        if _ENCRYPTED_PACKAGE in data:
            # Word saves a password-protected .docx as an OLE file holding an EncryptedPackage stream.
            raise EncryptedFile("password-protected Word document (encrypted OOXML package)")
        raise UnsupportedFormat(
            "old binary Word (.doc) is not supported",
            message_no="Skjemaet kom som en eldre Word-fil (.doc), som vi ikke kan lese. "
            "Lagre det som Word-dokument (.docx) og send det på nytt.",
        )
    if kind == "rtf":
        raise UnsupportedFormat("RTF is not supported")
    name = filename or "no name"
    if not data.strip(b"\0 \t\r\n"):
        raise CorruptFile(f"the file is empty ({name})")
    if (filename or "").lower().endswith((".docx", ".pdf")):
        # Named as a form file but without its signature: a broken upload or save, which the sender can fix.
        raise CorruptFile(f"{name} is neither a Word file nor a PDF inside (damaged, or renamed)")
    raise UnsupportedFormat(f"unrecognised file format ({name}): the form is read from .docx, .pdf or a "
                            "scan or photo (JPEG, PNG, TIFF, HEIC)")
