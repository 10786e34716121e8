"""The original document: a PDF served for inline display, a .docx's text pulled out for reading.

docx_text reads only word/document.xml, under size limits, with an XML parser that resolves no
entities and fetches nothing, and collects text the way the form reader does (w:t, tabs, breaks;
not deleted text, not the duplicate text of mc:Fallback).
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_MAX_XML = 20 * 1024 * 1024
_MAX_MEMBERS = 2000

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentTextError(Exception):
    pass


def kind_of(data: bytes | None, filename: str | None) -> str:
    """'pdf', 'docx' or 'other', from the bytes first and the name second."""
    if not data:
        return "none"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04" and (filename or "").lower().endswith((".docx", ".docm", ".dotx")):
        return "docx"
    if data[:4] == b"PK\x03\x04":
        return "docx"
    return "other"


def _text_of(el: etree._Element) -> str:
    out: list[str] = []
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        if any(a.tag == f"{{{MC}}}Fallback" for a in node.iterancestors()):
            continue
        if node.tag == f"{{{W}}}t" and node.text:
            out.append(node.text)
        elif node.tag == f"{{{W}}}tab":
            out.append("\t")
        elif node.tag in (f"{{{W}}}br", f"{{{W}}}cr"):
            out.append("\n")
    return "".join(out)


def _blocks(parent: etree._Element) -> list[str]:
    lines: list[str] = []
    for child in parent:
        if child.tag == f"{{{W}}}p":
            lines.append(_text_of(child))
        elif child.tag == f"{{{W}}}tbl":
            for row in child.iter(f"{{{W}}}tr"):
                cells = [" ".join(t for t in _blocks(tc) if t.strip()) for tc in row.findall(f"{{{W}}}tc")]
                # Rows wrapped in a content control are found by iter(); the cells are direct children.
                if any(c.strip() for c in cells):
                    lines.append(" | ".join(c.strip() for c in cells))
        elif child.tag == f"{{{W}}}sdt":
            content = child.find(f"{{{W}}}sdtContent")
            if content is not None:
                lines.extend(_blocks(content))
    return lines


def docx_text(data: bytes) -> list[str]:
    """The document's paragraphs and table rows (cells joined by ' | '), as lines of text."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise DocumentTextError("too many zip members")
            info = zf.getinfo("word/document.xml")
            if info.file_size > _MAX_XML:
                raise DocumentTextError("document.xml too large")
            with zf.open(info) as fh:
                xml = fh.read(_MAX_XML + 1)
        if len(xml) > _MAX_XML:
            raise DocumentTextError("document.xml too large")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
        root = etree.fromstring(xml, parser)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, OSError) as exc:
        raise DocumentTextError(str(exc)) from exc
    body = root.find(f"{{{W}}}body")
    lines = _blocks(body if body is not None else root)
    # Collapse runs of empty paragraphs, which forms are full of.
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return out


def safe_filename(name: str | None, default: str) -> str:
    """A filename fit for a Content-Disposition header: ASCII-safe, no quotes or path parts."""
    name = (name or default).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip() or default
    return cleaned[:120]
