"""The PDF parse proper. Runs inside the sandbox child (see pdf_reader.read_pdf): bytes in, plain data out.

Order: open (translating pdfminer's errors), cap the page count, read the first pages' words to
decide whether this is the form (or a scan), then try the AcroForm values, the ruled tables and
finally the words on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from pipeline import errors
from pipeline.forms.definition import FormDefinition, definitions, norm_label
from pipeline.forms.pdf_acroform import read_acroform
from pipeline.forms.pdf_layout import Cell, Collector, PageData, Table, Word, fix_text, group_lines, words_in
from pipeline.forms.pdf_tables import read_tables
from pipeline.forms.pdf_text import read_text
from pipeline.forms.sandbox import reading_to_data

FORM_SEARCH_PAGES = 3  # the form's title and first headings are on its first page; allow a cover page
MIN_LABELS = 3  # a strategy must recognise at least this many labels to be believed
SCAN_MAX_CHARS = 40  # fewer characters than this, and pictures on the pages: a scan

_ENCRYPTION_ERRORS = ("PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning",
                      "PDFEncryptionV4Error", "PDFNotImplementedError")


def parse_pdf(data: bytes, filename: str | None, max_pages: int) -> dict[str, Any]:
    """Read the form out of a PDF; raise only pipeline.errors (the sandbox maps anything else)."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(BytesIO(data), unicode_norm="NFC")
    except Exception as exc:  # noqa: BLE001 - every open-time failure is translated here
        raise _open_error(exc) from None
    try:
        return reading_to_data(_read(pdf, definitions(), filename, max_pages))
    except errors.PipelineError:
        raise
    except RecursionError:
        raise errors.CorruptFile("the PDF's structure is nested too deeply") from None
    except Exception as exc:  # noqa: BLE001
        if _is_encryption(exc):
            raise errors.EncryptedFile(f"the PDF is encrypted ({_cause_name(exc)})") from None
        raise errors.CorruptFile(f"the PDF could not be read ({_cause_name(exc)}: {str(exc)[:200]})") from None
    finally:
        # Not pdf.close(): it builds every page object first (minutes for a 100,000-page file). The
        # pages we opened are closed already and the stream is ours; dropping the object is enough.
        del pdf


def _cause(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's errors in PdfminerException with the cause in args[0]."""
    seen = 0
    while type(exc).__name__ == "PdfminerException" and exc.args and isinstance(exc.args[0], BaseException):
        exc = exc.args[0]
        seen += 1
        if seen > 5:
            break
    return exc


def _cause_name(exc: BaseException) -> str:
    return type(_cause(exc)).__name__


def _is_encryption(exc: BaseException) -> bool:
    cause = _cause(exc)
    return any(c.__name__ in _ENCRYPTION_ERRORS for c in type(cause).__mro__) or (
        "encrypt" in str(cause).lower() or "password" in str(cause).lower())


def _open_error(exc: BaseException) -> errors.FormError:
    cause = _cause(exc)
    if isinstance(cause, RecursionError):
        return errors.CorruptFile("the PDF's structure is nested too deeply")
    if isinstance(cause, MemoryError):
        return errors.LimitExceeded("out of memory while opening the PDF")
    if _is_encryption(exc):
        return errors.EncryptedFile(f"the PDF is password-protected ({type(cause).__name__})")
    return errors.CorruptFile(f"the PDF could not be opened ({type(cause).__name__}: {str(cause)[:200]})")


def _page_objects(pdf: Any, max_pages: int) -> list[Any]:
    """The page objects, refusing more than `max_pages` before any page is parsed."""
    from pdfminer.pdfpage import PDFPage

    out = []
    for page in PDFPage.create_pages(pdf.doc):
        out.append(page)
        if len(out) > max_pages:
            raise errors.LimitExceeded(f"the PDF has more than {max_pages} pages")
    return out


def _extract(pdf: Any, page_obj: Any, number: int, doctop: float,
             want_tables: Callable[[list[Word]], bool]) -> PageData:
    """One page's words (and tables, when `want_tables(words)` says so), then the page is closed."""
    from pdfplumber.page import Page

    page = Page(pdf, page_obj, page_number=number, initial_doctop=doctop)
    try:
        clean = _dedupe_chars(page)
        words = [Word(fix_text(w["text"]), w["x0"], w["top"], w["x1"], w["bottom"])
                 for w in clean.extract_words(keep_blank_chars=False)]
        images = page.images
        area = sum(abs((i["x1"] - i["x0"]) * (i["bottom"] - i["top"])) for i in images)
        data = PageData(number=number, width=float(page.width), height=float(page.height),
                        mediabox_top=float(page.mediabox[3]), words=words, images=len(images), image_area=area)
        if want_tables(words):
            data.tables = _tables(clean, data)
            data.tables_searched = True
        return data
    finally:
        page.close()


def _dedupe_chars(page: Any, tolerance: float = 1.0) -> Any:
    """The page without duplicate characters ("fake bold" prints each glyph twice, slightly offset).

    Same idea as pdfplumber's dedupe_chars(), which is quadratic in practice (seconds on a dense
    page); here each character is checked against a grid of its neighbours, linear time.
    """
    seen: dict[tuple[Any, ...], list[tuple[float, float]]] = {}
    keep: set[int] = set()
    for ch in page.chars:
        key = (ch.get("text"), ch.get("fontname"), round(float(ch.get("size") or 0), 1))
        x, y = float(ch["x0"]), float(ch["top"])
        cx, cy = int(x // tolerance), int(y // tolerance)
        duplicate = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy in seen.get((*key, cx + dx, cy + dy), ()):
                    if abs(ox - x) <= tolerance and abs(oy - y) <= tolerance:
                        duplicate = True
        if not duplicate:
            keep.add(id(ch))
            seen.setdefault((*key, cx, cy), []).append((x, y))
    return page.filter(lambda obj: obj.get("object_type") != "char" or id(obj) in keep)


def _tables(page: Any, data: PageData) -> list[Table]:
    tables = []
    for t in page.find_tables():
        rows = []
        for row in t.rows:
            cells: list[Cell | None] = []
            for bbox in row.cells:
                if bbox is None:
                    cells.append(None)
                    continue
                cells.append(Cell(tuple(bbox), group_lines(data.number, words_in(data.words, bbox))))
            rows.append(cells)
        tables.append(Table(page=data.number, index=0, bbox=tuple(t.bbox), rows=rows))
    return tables


def _annotation_pages(page_objs: list[Any]) -> dict[int, int]:
    """Annotation object id -> page number, for widgets that do not name their page (/P)."""
    from pdfminer.pdftypes import resolve1

    out: dict[int, int] = {}
    for number, page in enumerate(page_objs, 1):
        annots = resolve1(page.annots)
        if isinstance(annots, list):
            for ref in annots[:5000]:
                objid = getattr(ref, "objid", None)
                if objid is not None:
                    out.setdefault(objid, number)
    return out


def _has_acroform(pdf: Any) -> bool:
    from pdfminer.pdftypes import resolve1

    acro = resolve1(pdf.doc.catalog.get("AcroForm"))
    return isinstance(acro, dict) and bool(resolve1(acro.get("Fields")))


def _read(pdf: Any, defs: tuple[FormDefinition, ...], filename: str | None, max_pages: int) -> Any:
    page_objs = _page_objects(pdf, max_pages)
    fillable = _has_acroform(pdf)
    pages: list[PageData] = []
    text = ""
    found: FormDefinition | None = None  # the declared form this PDF is, once its first pages say so

    def want_tables(words: list[Word]) -> bool:
        # Decide on each page whether this is a form yet, so that its tables are found while the
        # page is open (a second pass would double the cost); a fillable PDF needs no tables.
        nonlocal text, found
        text += " " + " ".join(w.text for w in words)
        found = found or next((d for d in defs if d.is_this_form(text)), None)
        return found is not None and not fillable

    doctop = 0.0
    for i, obj in enumerate(page_objs):
        if i >= FORM_SEARCH_PAGES and found is None:
            break  # a long unrelated PDF costs only its first pages
        pages.append(_extract(pdf, obj, i + 1, doctop, want_tables))
        doctop += pages[-1].height
    if found is None:
        if len(text.strip()) < SCAN_MAX_CHARS and any(p.images for p in pages):
            raise errors.ScannedFile("the PDF is a scanned image with no text layer; "
                                     "ask the sender for the filled Word file (.docx)")
        foreign = any(m in norm_label(text) for d in defs for m in d.foreign_markers)
        raise errors.NotAForm("the PDF is another IMDi form (e.g. kommuneadministrativ bruker), not one we read"
                              if foreign else "the PDF is not a form we know (no form title or labels found)")
    definition = found
    page_ids = {obj.pageid: i + 1 for i, obj in enumerate(page_objs)}
    annot_pages = _annotation_pages(page_objs) if fillable else {}

    collector = Collector(definition)
    if fillable and read_acroform(definition, pdf.doc, pages, page_ids, collector, annot_pages) >= MIN_LABELS:
        return collector.reading(filename, "acroform")
    if not all(p.tables_searched for p in pages):
        # Tables were skipped (fillable) or the form started after a cover page: find them now.
        pages = [_extract(pdf, obj, i + 1, 0.0, lambda _w: True) for i, obj in enumerate(page_objs)]
    index = 0
    for p in pages:
        for t in p.tables:
            t.index = index
            index += 1

    collector, method = read_layout(definition, pages)
    return collector.reading(filename, method)


def read_layout(definition: FormDefinition, pages: list[PageData]) -> tuple[Collector, str]:
    """The ruled tables first, then the words on the page ("pdf_table"); the words alone when the
    tables hold too few labels ("pdf_text"). Shared with the OCR reader, whose pages are built
    from Tesseract's words and the rules found in the image."""
    collector = Collector(definition)
    labelled = read_tables(definition, pages, collector)
    if labelled >= MIN_LABELS:
        # What the tables missed (a row drawn without rules, a table that is only the shaded label
        # column) comes from the words on the page; where a table did hold the value, it stands.
        text_collector = Collector(definition)
        read_text(definition, pages, text_collector)
        for path, value in text_collector.fields.items():
            current = collector.fields.get(path)
            if value.value is not None and (current is None or current.value is None):
                collector.fields[path] = value
        if not collector.centres:
            collector.centres = text_collector.centres
        return collector, "pdf_table"
    collector = Collector(definition)
    read_text(definition, pages, collector)
    return collector, "pdf_text"
