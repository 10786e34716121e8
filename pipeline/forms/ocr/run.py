"""The OCR read proper. Runs inside the sandbox child (see `pipeline.forms.ocr.read_image`): bytes in,
plain data out, only pipeline.errors raised.

Per page: load (image) or render (PDF page, pypdfium2) -> prep.prepare -> Tesseract words ->
the PDF readers' page model -> `pdf_parse.read_layout` with the form definition -> repairs of
addresses and numbers -> per-field provenance with Tesseract's confidence.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from struct import error as struct_error
from typing import Any

from pipeline import errors
from pipeline.forms.definition import FormDefinition, definitions, norm_label
from pipeline.forms.ocr import engine, prep, repair
from pipeline.forms.ocr.layout import ConfWord, level_rows, page_data, snap_labels, to_points
from pipeline.forms.page_drawing import PAGE_DPI, png_size
from pipeline.forms.pdf_layout import PageData, heading_kind
from pipeline.forms.pdf_parse import MIN_LABELS, read_layout
from pipeline.forms.reading import FieldValue, FormReading, PagePicture, Provenance, fold
from pipeline.forms.sandbox import reading_to_data

FORM_SEARCH_PAGES = 3
MIN_TEXT_CHARS = 40  # fewer confidently read characters than this on the pages: nobody can read it
FOREIGN_TEXT_CHARS = 300  # this much confident text and still not the form: it is something else
CONFIDENT = 60.0  # Tesseract word confidence counted as "read"

UNREADABLE_NO = (
    "Vedlegget ser ut til å være et skannet bilde eller et bilde av skjemaet, men vi klarte ikke å lese "
    "feltene i det. Send det utfylte skjemaet som Word-fil (.docx)."
)


def ocr_image(data: bytes, filename: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """An image attachment (JPEG, PNG, TIFF, HEIC) read by OCR; `options` are Limits fields."""
    _configure(options)
    return reading_to_data(_read(_image_pages(data, options), filename, "image", options))


def ocr_pdf(data: bytes, filename: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """An image-only PDF (a scan) read by OCR."""
    _configure(options)
    return reading_to_data(_read(_pdf_pages(data, options), filename, "pdf", options))


def _configure(options: dict[str, Any]) -> None:
    engine.configure(str(options.get("ocr_languages") or "nor"), str(options.get("ocr_models") or ""))


def page_images(data: bytes, filename: str | None, options: dict[str, Any], dpi: int = 100) -> list[bytes]:
    """The pages as OCR read them (turned, straightened, unwarped), as PNG at `dpi`: the boxes of
    the reading's provenance (PDF points of these pages) can be drawn on them."""
    pages = _pdf_pages(data, options) if data[:1024].find(b"%PDF-") >= 0 else _image_pages(data, options)
    out = []
    for grey, known_dpi in pages:
        page = prep.prepare(grey, dpi=known_dpi, target_dpi=int(options["ocr_dpi"]), photo=True,
                            detect_orientation=engine.orientation)
        out.append(_png(page, dpi))
    return out


def _png(page: prep.PreparedPage, dpi: int) -> bytes:
    scale = dpi / page.dpi
    small = page.straight.resize((max(1, round(page.straight.width * scale)),
                                  max(1, round(page.straight.height * scale))))
    buf = io.BytesIO()
    # Level 1: a third of level 6's time for a file a fifth larger (profiled: 0.2 s a page at 6).
    small.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _picture(page: prep.PreparedPage, number: int) -> PagePicture:
    """The page as the case page shows it, made while it is at hand (no second straightening)."""
    png = _png(page, PAGE_DPI)
    width, height = png_size(png)
    return PagePicture(number, png, width, height, round(width * 72 / PAGE_DPI, 2), round(height * 72 / PAGE_DPI, 2))


# -- pages in -----------------------------------------------------------------------------------
def _image_pages(data: bytes, options: dict[str, Any]) -> Iterator[tuple[Any, float | None]]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    _register_heif()
    max_pixels = int(options["max_image_pixels"])
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own guard, as a second line
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise errors.CorruptFile(f"the image could not be opened ({type(exc).__name__}: {exc})"[:300]) from None
    except Image.DecompressionBombError as exc:
        raise errors.LimitExceeded(f"the image is too large ({exc})") from None
    _check_frames(image, max_pixels, int(options.get("max_pages", 30)))
    try:
        for n, frame in enumerate(ImageSequence.Iterator(image)):
            if n >= int(options["max_ocr_pages"]):
                break
            if frame.format == "JPEG" or image.format == "JPEG":
                # Decode big photos at a reduced scale straight away (JPEG's DCT scaling: cheap).
                long_side = max(frame.size)
                if long_side > 4400:
                    k = 4400 / long_side
                    frame.draft("L", (round(frame.width * k), round(frame.height * k)))
            frame = prep.exif_upright(frame)
            grey = frame.convert("L") if frame.mode != "L" else frame.copy()
            yield grey, None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise errors.CorruptFile(f"the image could not be decoded ({type(exc).__name__}: {exc})"[:300]) from None


def _check_frames(image: Any, max_pixels: int, max_frames: int) -> None:
    """Every frame of a TIFF (every image of a HEIC, every frame of an animation) held to the pixel
    limit before any is decoded: seeking reads a frame's header only. Pillow's own guard looks at
    the first frame alone, and a TIFF whose later frames are 97 Mpx each went to OCR whole."""
    n = 0
    try:
        while True:
            try:
                image.seek(n)
            except EOFError:
                break
            width, height = image.size
            if width * height > max_pixels:
                raise errors.LimitExceeded(f"frame {n + 1} of the image is {width}x{height} pixels, "
                                           f"the limit is {max_pixels}")
            n += 1
            if n > max_frames:
                raise errors.LimitExceeded(f"the image has more than {max_frames} frames")
        image.seek(0)
    except errors.LimitExceeded:
        raise
    except (OSError, ValueError, SyntaxError, struct_error) as exc:
        raise errors.CorruptFile(f"the image's frames could not be read ({type(exc).__name__}: {exc})"[:300]) \
            from None


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # HEIC is read where pillow-heif is installed
        pass


def _pdf_pages(data: bytes, options: dict[str, Any]) -> Iterator[tuple[Any, float]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise errors.CorruptFile(f"the PDF could not be opened for rendering ({exc})") from None
    try:
        max_pixels = int(options["max_image_pixels"])
        _check_pdf_pages(pdf, max_pixels, int(options.get("max_pages", 30)))
        for i in range(min(len(pdf), int(options["max_ocr_pages"]))):
            page = pdf[i]
            try:
                scanned_at = _check_scan_resolution(page, i + 1)
                w_pt, h_pt = page.get_size()
                # Rendered at the scan's own resolution (within the working range): more dots than
                # the scanner made cost OCR time and add nothing.
                dpi = prep.working_dpi(scanned_at or float(options["ocr_dpi"]), int(options["ocr_dpi"]))
                if (w_pt * dpi / 72) * (h_pt * dpi / 72) > max_pixels:
                    dpi = 72 * (max_pixels / max(1.0, w_pt * h_pt)) ** 0.5  # a huge page: fewer dots
                image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
            yield image.convert("L"), dpi
    finally:
        pdf.close()


def _check_pdf_pages(pdf: Any, max_pixels: int, max_pages: int) -> None:
    """Every page of a scanned PDF held to the page and pixel limits before any is rendered: a
    picture on any page with more pixels than the limit (pdfium decodes it whole, whatever the
    scale it is drawn at) refuses the file."""
    import pypdfium2.raw as pdfium_c

    if len(pdf) > max_pages:
        raise errors.LimitExceeded(f"the PDF has {len(pdf)} pages, the limit is {max_pages}")
    for i in range(len(pdf)):
        page = pdf[i]
        try:
            for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
                width, height = obj.get_px_size()
                if width * height > max_pixels:
                    raise errors.LimitExceeded(f"page {i + 1} holds a picture of {width}x{height} pixels, "
                                               f"the limit is {max_pixels}")
        finally:
            page.close()


def _check_scan_resolution(page: Any, number: int) -> float | None:
    """The page's scanned picture's pixels per inch (None when it holds none); refuse a page whose scanned picture has too few pixels per inch to read (below ~100 dpi
    letters are 6-7 pixels high: Tesseract merges rows and invents letters, worse than no reading)."""
    import pypdfium2.raw as pdfium_c

    best = None
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        w_px, _ = obj.get_px_size()
        if x1 - x0 > 72 and (best is None or x1 - x0 > best[0]):
            best = (x1 - x0, w_px * 72 / (x1 - x0))
    if best is not None and best[1] < prep.MIN_DPI:
        raise errors.ScannedFile(f"page {number} is scanned at {best[1]:.0f} dpi, too coarse to read "
                                 f"(at least {prep.MIN_DPI} dpi)", message_no=UNREADABLE_NO)
    return None if best is None else float(best[1])


# -- the read -----------------------------------------------------------------------------------
def _read(pages_in: Iterator[tuple[Any, float | None]], filename: str | None, fmt: str,
          options: dict[str, Any]) -> FormReading:
    defs = definitions()
    pages: list[PageData] = []
    prepared: dict[int, prep.PreparedPage] = {}
    all_words: dict[int, list[ConfWord]] = {}
    pictures: list[PagePicture] = []
    notes: list[str] = []
    confident = ""
    found: FormDefinition | None = None
    target = int(options["ocr_dpi"])
    for number, (grey, dpi) in enumerate(pages_in, 1):
        if number > FORM_SEARCH_PAGES and found is None:
            break
        page = prep.prepare(grey, dpi=dpi, target_dpi=target, photo=True, detect_orientation=engine.orientation)
        notes += [f"page {number}: {n}" for n in page.notes]
        pictures.append(_picture(page, number))
        ocr_words = engine.read_words(page.image, round(page.dpi)) if page.ink > 0.001 else []
        words = to_points(ocr_words, page.dpi)
        level_rows(words)
        confident += " " + " ".join(w.text for w in words if w.conf >= CONFIDENT)
        found = found or next((d for d in defs if d.is_this_form(confident)), None)
        if found is not None:
            snap_labels(found, words)
        all_words[number] = words
        prepared[number] = page
        pages.append(page_data(number, words, page.rules, page.dpi, page.size_pt))
        if found is not None and _past_the_values(found, pages[-1]):
            break  # the rest of the form (page 2) carries no values
    chars = sum(ch.isalnum() for ch in confident)
    if found is None:
        if chars < FOREIGN_TEXT_CHARS:
            raise errors.ScannedFile(f"OCR found too little text to read ({chars} characters read with "
                                     "confidence)", message_no=UNREADABLE_NO if chars >= MIN_TEXT_CHARS else None)
        foreign = any(m in norm_label(confident) for d in defs for m in d.foreign_markers)
        raise errors.NotAForm("the scan is another IMDi form, not one we read" if foreign else
                              "the scan is not a form we know (no form title or labels found by OCR)")
    collector, _ = read_layout(found, pages)
    recognised = len(collector.labels_seen - {"centres"})
    if recognised < MIN_LABELS:
        raise errors.ScannedFile(f"the scan is the form, but OCR found only {recognised} of its labels",
                                 message_no=UNREADABLE_NO)
    fields = {path: fv if path in SECOND_PASS_EMAILS else _reread_unsure(fv, prepared, all_words)
              for path, fv in collector.fields.items()}
    collector.centres = [_reread_unsure(fv, prepared, all_words) for fv in collector.centres]
    fields = _repaired(_second_pass(fields, prepared), tuple(options.get("domains") or ()))
    fields = {path: _row_checked(fv, all_words) for path, fv in fields.items()}
    sizes = {p.number: (p.width, p.height) for p in pages}
    fields = {path: _with_confidence(fv, all_words, sizes) for path, fv in fields.items()}
    centres = [_with_confidence(fv, all_words, sizes) for fv in collector.centres]
    reading = FormReading(form=found.name, filename=filename, format=fmt, method="ocr", fields=fields,
                          centres=centres, pictures=pictures)
    reading.source_extra = {"ocr": {"engine": "tesseract", "languages": engine.languages(), "pages": len(pages),
                                    "dpi": target, "notes": notes}}
    return reading


def _past_the_values(definition: FormDefinition, page: PageData) -> bool:
    """True when the page holds the text after the centre table (nothing to read after it)."""
    return any(heading_kind(definition, line.text) == "end" for line in page.lines())


SECOND_PASS_EMAILS = ("operator.email", "applicant.email")
SECOND_PASS_NAMES = ("operator.manager", "applicant.first_name", "applicant.last_name")
NORWEGIAN_LETTERS = set("abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ")


def _second_pass(fields: dict[str, FieldValue], pages: dict[int, prep.PreparedPage]) -> dict[str, FieldValue]:
    """Address and name cells read again, cut out of the page, with the Latin script model: "@"
    and the letters outside Norwegian (Wiśniewska) that the page's "nor" model cannot read. A
    name takes the second reading only when it is the first one with marks added (the same letters
    folded), so a Norwegian name the Latin model misreads (Å as A) keeps the first."""
    lang = engine.second_pass_language()
    if lang is None:
        return fields
    out = dict(fields)
    for path in (*SECOND_PASS_EMAILS, *SECOND_PASS_NAMES):
        fv = fields.get(path)
        if fv is None or not fv.value or fv.where is None:
            continue
        page = pages.get(int(fv.where.detail.get("page", 1)))
        box = _cell_box(fv, page) if page is not None else None
        if page is None or box is None:
            continue
        text, _ = engine.read_cell(page.image.crop(box), round(page.dpi), lang)
        if not text or text == fv.value:
            continue
        if path in SECOND_PASS_EMAILS:
            # The Latin model sees "@": its reading is the better start for the repairs (which
            # still check it against what an address can be); the first reading is kept to fall
            # back on when the second is no address at all.
            if "@" in text and "@" not in fv.value:
                out[path] = FieldValue(text, fv.where)
        elif _marks_added(fv.value, text):
            out[path] = FieldValue(text, fv.where)
    return out


REREAD_BELOW = 93.0  # a value with a word Tesseract was less sure of than this is read again
REREAD_GAIN = 1.0  # the second reading must be surer than the first (mean word confidence)
REREAD_SIMILAR = 80.0  # and this alike (rapidfuzz ratio): a re-read corrects letters, it does not replace


def _cell_box(fv: FieldValue, page: prep.PreparedPage) -> tuple[int, int, int, int] | None:
    bbox = fv.where.detail.get("bbox") if fv.where is not None else None
    if not bbox:
        return None
    k = page.dpi / 72
    box = (max(0, round(bbox[0] * k) - 4), max(0, round(bbox[1] * k) - 4), round(bbox[2] * k) + 4,
           round(bbox[3] * k) + 4)
    return box if box[2] - box[0] >= 8 and box[3] - box[1] >= 8 else None


def _reread_unsure(fv: FieldValue, pages: dict[int, prep.PreparedPage],
                   words: dict[int, list[ConfWord]]) -> FieldValue:
    """A value Tesseract was unsure of, read again from its cell in grey (Tesseract's own threshold
    on the cell alone keeps what the page's threshold can merge: "Møttak" for "Mottak" on a fax,
    "Ardal" for "Årdal" in a photo). Taken only when surer and close to the first reading."""
    from rapidfuzz import fuzz

    if fv.where is None or not fv.value or "@" in fv.value:
        return fv  # (addresses have a second pass of their own, with the model that knows "@")
    number = int(fv.where.detail.get("page", 1))
    page = pages.get(number)
    box = _cell_box(fv, page) if page is not None else None
    if page is None or box is None:
        return fv
    x0, top, x1, bottom = (v * 72 / page.dpi for v in box)
    tokens = set(fv.value.split())
    inside = [w for w in words.get(number, []) if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2
              <= bottom and w.text in tokens]
    if not inside or min(w.conf for w in inside) >= REREAD_BELOW:
        return fv
    text, conf = engine.read_cell(page.straight.crop(box), round(page.dpi), engine.languages())
    before = sum(w.conf for w in inside) / len(inside)
    if (text and text != fv.value and conf >= before + REREAD_GAIN and len(text.split()) == len(fv.value.split())
            and fuzz.ratio(text.casefold(), fv.value.casefold()) >= REREAD_SIMILAR):
        return FieldValue(text, fv.where)
    return fv


def _marks_added(first: str, second: str) -> bool:
    """True when `second` is `first` with marks on letters that "nor" read plain (Wisniewska ->
    Wiśniewska), and nothing else changed: an "å" read as "ā" by the Latin model is no gain."""
    if len(first) != len(second) or repair.ascii_fold(first) != repair.ascii_fold(second):
        return False
    changed = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    return bool(changed) and all(a.isascii() and b.isalpha() and b not in NORWEGIAN_LETTERS for a, b in changed)


def _repaired(fields: dict[str, FieldValue], known: tuple[str, ...] = ()) -> dict[str, FieldValue]:
    """Addresses and numbers rebuilt towards what they can be; a value changed by a repair is
    marked `repaired_from` (what OCR read) and unsure, for the operator confirming the reading."""
    def value(path: str) -> str | None:
        fv = fields.get(path)
        return fv.value if fv else None

    out = dict(fields)
    emails = {p: value(p) for p in ("operator.email", "applicant.email")}
    names = {"operator.email": (value("operator.manager"),),
             "applicant.email": (value("applicant.first_name"), value("applicant.last_name"))}
    own = {p: tuple(n for n in names[p] if n) for p in emails}
    # First each address alone (with its person's name), then again knowing the other's domain
    # (the operator and the applicant usually share one) and the driftsoperatør's known domains.
    first = {p: repair.repair_email(t, names=own[p]) for p, t in emails.items() if t}
    for path, text in emails.items():
        if text is None:
            continue
        # The other address's domain, itself first checked against the known ones (both may share a misread).
        other = [repair.email_domain(repair.snap_domain(t or "", known)) for p, t in first.items() if p != path]
        fixed = repair.repair_email(text, domains=tuple(d for d in other if d) + known, names=own[path])
        out[path] = repair.marked(fields[path], fold(fixed))
    for path in ("operator.phone", "applicant.mobile"):
        fv = fields.get(path)
        if fv and fv.value:
            out[path] = repair.marked(fv, fold(repair.repair_phone(fv.value)))
    return out


def _row_checked(fv: FieldValue, words: dict[int, list[ConfWord]]) -> FieldValue:
    """A table value whose row holds no label beside it is marked unsure: the rows were placed by
    the rules alone, and a photo whose rows drift can put a value one row off. (Words of one row
    share a top after `level_rows`, so the label's words, left of the value, have the value's top.)"""
    where = fv.where
    if where is None or fv.value is None or where.kind != "table_cell" or not where.detail.get("bbox"):
        return fv
    x0, top, x1, bottom = where.detail["bbox"]
    page = words.get(int(where.detail.get("page", 1)), [])
    inside = [w for w in page if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom]
    if not inside:
        return fv
    first = min(inside, key=lambda w: (w.top, w.x0))
    if any(w.x1 <= x0 + 1 and abs(w.top - first.top) < 0.5 for w in page):
        return fv
    return FieldValue(fv.value, Provenance(where.kind, {**where.detail, "unsure": True, "row_unsure": True}))


def _with_confidence(fv: FieldValue, words: dict[int, list[ConfWord]],
                     sizes: dict[int, tuple[float, float]]) -> FieldValue:
    """The provenance as OCR saw it: page, the value's words' box in PDF points of the prepared
    page (page_size says how big that page is), and Tesseract's confidence (mean and lowest)."""
    where = fv.where
    if where is None or fv.value is None:
        return fv
    page = int(where.detail.get("page", 1))
    x0, top, x1, bottom = where.detail.get("bbox") or (0, 0, 0, 0)
    inside = [w for w in words.get(page, []) if x0 - 1 <= (w.x0 + w.x1) / 2 <= x1 + 1
              and top - 1 <= (w.top + w.bottom) / 2 <= bottom + 1]
    tokens = set(fv.value.casefold().split())
    chosen = [w for w in inside if w.text.casefold() in tokens or any(w.text.casefold() in t for t in tokens)]
    chosen = chosen or inside
    detail: dict[str, Any] = {"page": page, "unit": "pt", "page_size": list(sizes.get(page, (0.0, 0.0))),
                              "found_as": where.kind}
    for key in ("table", "row", "cell", "repaired_from", "unsure", "row_unsure"):
        if key in where.detail:
            detail[key] = where.detail[key]
    if chosen:
        detail["bbox"] = [round(min(w.x0 for w in chosen), 1), round(min(w.top for w in chosen), 1),
                          round(max(w.x1 for w in chosen), 1), round(max(w.bottom for w in chosen), 1)]
        detail["confidence"] = round(sum(w.conf for w in chosen) / len(chosen), 1)
        detail["min_confidence"] = round(min(w.conf for w in chosen), 1)
    else:
        detail["bbox"] = [round(v, 1) for v in (x0, top, x1, bottom)]
        detail["confidence"] = None
        detail["min_confidence"] = None
    return FieldValue(fv.value, Provenance("ocr", detail))
