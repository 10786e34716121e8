"""Open an untrusted Word package (.docx zip) safely, before any XML of it is parsed.

Checks the zip's central directory against `Limits` (member count, declared sizes, compression
ratio) without decompressing anything, reads only the parts a reading needs with a bounded read
(declared sizes can lie), and parses XML with entity resolution, DTD loading and network access
off. Every library exception is translated here into `pipeline.errors`, so the reader above never
sees BadZipFile, KeyError or XMLSyntaxError.
"""

from __future__ import annotations

import io
import posixpath
import threading
import zipfile
import zlib

from lxml import etree

from pipeline.errors import CorruptFile, EncryptedFile, FormError, LimitExceeded, UnsupportedFormat
from pipeline.settings import Limits

MAIN_DOCUMENT = "word/document.xml"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_OFFICE_DOCUMENT = "/officeDocument"  # the end of the relationship type (transitional and strict)

# Content types of a main document part that we read, and of those we refuse with a reason.
WORD_MAIN_TYPES = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
})
MACRO_TYPES = frozenset({
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
})

# ISO 29500 strict documents use other namespace URIs for the same vocabulary; rewriting the
# one URI we read lets a strict file be read like a transitional one.
_STRICT_W = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
_TRANSITIONAL_W = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# A member smaller than this cannot be a bomb on its own, whatever its ratio (a part of blank
# XML compresses 100:1 without any malice).
_RATIO_FLOOR = 1024 * 1024


def _parser() -> etree.XMLParser:
    # resolve_entities=False: no XXE; load_dtd/no_network: no external fetches; huge_tree=False keeps
    # libxml2's own depth (256) and text-size limits, and its entity-amplification guard.
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, remove_comments=True
    )


_LOCAL = threading.local()  # an lxml parser must not be shared between threads


def parse_xml(data: bytes, part: str) -> etree._Element:
    """Parse one package part; any failure is CorruptFile (or LimitExceeded for depth/amplification)."""
    try:
        parser = getattr(_LOCAL, "parser", None)
        if parser is None:
            parser = _LOCAL.parser = _parser()
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "amplification" in text or "depth" in text or "huge" in text.lower():
            raise LimitExceeded(f"{part}: XML too deeply nested or expands too much ({text})") from exc
        raise CorruptFile(f"{part}: XML is not well-formed ({text})") from exc
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot use
        raise CorruptFile(f"{part}: XML cannot be parsed ({exc})") from exc
    if root is None:
        raise CorruptFile(f"{part}: empty XML")
    # OOXML parts never carry a DTD; one here is an entity attack or a broken file.
    if root.getroottree().docinfo.internalDTD is not None:
        raise CorruptFile(f"{part}: XML has a DTD, which Word never writes")
    return root


class DocxPackage:
    """A checked Word package: the names of its members and bounded reads of its parts."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except zipfile.BadZipFile as exc:
            raise CorruptFile(f"not a valid zip file ({exc})") from exc
        except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise CorruptFile(f"zip directory cannot be read ({exc})") from exc
        self._check(infos)
        self._names = {i.filename: i for i in infos}

    def _check(self, infos: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_zip_members:
            raise LimitExceeded(f"zip has {len(infos)} members, the limit is {limits.max_zip_members}")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
                raise LimitExceeded(
                    f"zip member {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}:1"
                )
        if total > limits.max_zip_uncompressed:
            raise LimitExceeded(f"zip declares {total} bytes uncompressed, the limit is {limits.max_zip_uncompressed}")

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes:
        """The member's bytes, reading at most `max_xml_part_bytes` whatever its header says."""
        info = self._names.get(name)
        if info is None:
            raise CorruptFile(f"the package has no part {name!r}")
        cap = self.limits.max_xml_part_bytes
        if info.file_size > cap:
            raise LimitExceeded(f"part {name!r} is {info.file_size} bytes, the limit is {cap}")
        if info.flag_bits & 0x1:
            raise EncryptedFile(f"part {name!r} is encrypted")
        try:
            with self._zip.open(info) as fh:
                data = fh.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise CorruptFile(f"part {name!r} cannot be decompressed ({exc})") from exc
        except NotImplementedError as exc:  # an unsupported compression method
            raise CorruptFile(f"part {name!r} uses an unsupported compression ({exc})") from exc
        except RuntimeError as exc:
            raise EncryptedFile(f"part {name!r} cannot be read ({exc})") from exc
        if len(data) > cap:
            raise LimitExceeded(f"part {name!r} decompresses to more than {cap} bytes")
        return data

    def main_document_name(self) -> str:
        """word/document.xml, or else the main document part that _rels/.rels names."""
        if self.has(MAIN_DOCUMENT):
            return MAIN_DOCUMENT  # (skips parsing the relationships in the usual case)
        if self.has("_rels/.rels"):
            rels = parse_xml(self.read("_rels/.rels"), "_rels/.rels")
            for rel in rels.iter(f"{_REL_NS}Relationship"):
                if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
                    target = posixpath.normpath((rel.get("Target") or "").lstrip("/"))
                    if target and self.has(target):
                        return target
        raise CorruptFile("the package has no main document (word/document.xml)")

    def content_type(self, name: str) -> str | None:
        if not self.has("[Content_Types].xml"):
            return None
        types = parse_xml(self.read("[Content_Types].xml"), "[Content_Types].xml")
        for override in types.iter(f"{_CT_NS}Override"):
            if (override.get("PartName") or "").lstrip("/") == name:
                return str(override.get("ContentType") or "") or None
        ext = name.rpartition(".")[2].lower()
        for default in types.iter(f"{_CT_NS}Default"):
            if (default.get("Extension") or "").lower() == ext:
                return str(default.get("ContentType") or "") or None
        return None


def read_main_document(data: bytes, limits: Limits) -> etree._Element:
    """Check the package and return the parsed root (`w:document`) of its main document part.

    Raises CorruptFile, EncryptedFile, LimitExceeded or UnsupportedFormat (a macro-enabled .docm,
    or a package that is not a Word document, such as a spreadsheet).
    """
    package = DocxPackage(data, limits)
    name = package.main_document_name()
    ctype = package.content_type(name)
    if ctype in MACRO_TYPES:
        raise UnsupportedFormat(
            "macro-enabled Word document (.docm)",
            message_no="Skjemaet kom som et Word-dokument med makroer (.docm), som vi ikke åpner. "
            "Lagre det som vanlig Word-dokument (.docx) og send det på nytt.",
        )
    if ctype is not None and ctype not in WORD_MAIN_TYPES and ctype != "application/xml":
        raise UnsupportedFormat(f"the package is not a Word document (main part is {ctype})")
    xml = package.read(name)
    if _STRICT_W in xml[:4096]:
        xml = xml.replace(_STRICT_W, _TRANSITIONAL_W)
    root = parse_xml(xml, name)
    return root


def open_docx(data: bytes, limits: Limits | None = None) -> etree._Element:
    """Like read_main_document, but also guards against anything unforeseen from the libraries."""
    try:
        return read_main_document(data, limits or Limits())
    except FormError:
        raise
    except (zipfile.BadZipFile, KeyError, zlib.error, EOFError, OSError) as exc:
        raise CorruptFile(f"the Word package cannot be read ({type(exc).__name__}: {exc})") from exc
    except ValueError as exc:
        raise UnsupportedFormat(f"the package is not a readable Word document ({exc})") from exc
