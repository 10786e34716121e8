"""Hand-made PDFs for the PDF tests: hostile structures built byte by byte (no PDF library needed)."""

from __future__ import annotations

# The fixture builder's byte-level PDF writer (standard library only, so tests need no PDF library).
from tools.fixtures.cases_pdf_build import assemble


def many_pages(n: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (i + 3) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * n
    return assemble(objs)


def deep_page_tree(depth: int) -> bytes:
    """Pages inside Pages inside Pages ... `depth` levels, then one page."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objs += [b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (i + 3) for i in range(depth)]
    objs.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    return assemble(objs)


def self_referencing_page_tree() -> bytes:
    return assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"])


def text_page(lines: list[str | list[tuple[float, str]]]) -> bytes:
    """One page of Helvetica text (WinAnsi, so æøå work), 16 pt apart.

    A line is a string (at the left margin) or a list of (x, text) pieces, for label/value columns.
    """
    content = b"BT /F1 11 Tf\n"
    for i, line in enumerate(lines):
        pieces = [(56.0, line)] if isinstance(line, str) else line
        for x, text in pieces:
            esc = text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            content += b"1 0 0 1 %.1f %.1f Tm (" % (x, 790 - 16 * i) + esc + b") Tj\n"
    content += b"ET\n"
    return assemble([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ])
