"""Tesseract through tesserocr: words with boxes and confidences, and page orientation.

Runs only inside the sandbox child (see `pipeline.forms.ocr` and its `run` module). One `PyTessBaseAPI` per
language set is kept for the child's life: loading the models costs about 0.1 s, and a kept API
keeps them (`Clear()` between pages drops only the page's results).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import errors

# The page is read with "nor" alone: a second model on the whole page (nor+Latin) costs 40% more
# Tesseract time, and on the scan fixtures it read no more fields right (101 of 102 either way:
# the address repairs make up for "nor" having no "@"). What "nor" cannot read at all, "@" and
# letters outside Norwegian (ś, č, ł), the second pass reads: the address and name cells alone,
# cut out of the page, with the Latin script model (Debian tesseract-ocr-script-latn; "eng" has
# "@" but no ś). The setting ocr_languages (PIPELINE_OCR_LANGUAGES) may name others.
SECOND_PASS_LANGUAGES = ("Latin", "eng")
# Automatic page segmentation: with the table rules taken out first, it keeps each row's label
# and value apart better than single-block modes (psm 6 merged rows and columns).
PSM = 3
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")


@dataclass(frozen=True)
class OcrWord:
    text: str
    conf: float  # Tesseract's word confidence, 0-100
    box: tuple[int, int, int, int]  # x0, top, x1, bottom in pixels of the image given


# How this child reads, from the settings the parent passed in the task's options (configure); the
# defaults are the settings' own.
_CONFIG = {"languages": "nor", "models": ""}


def configure(languages: str, models: str) -> None:
    """Take the OCR settings (Limits.ocr_languages, Limits.ocr_models) for this child's next pages."""
    _CONFIG["languages"], _CONFIG["models"] = languages or "nor", models or ""


def tessdata_dir() -> str:
    """Where the traineddata files are: the configured folder, else Debian's and other usual places."""
    candidates = [_CONFIG["models"]] if _CONFIG["models"] else list(TESSDATA_DIRS)
    for d in candidates:
        if (Path(d) / "nor.traineddata").is_file():
            return d
    raise errors.ScannedFile(
        f"OCR is not available: no Norwegian Tesseract model in {', '.join(candidates)} (install tesseract-ocr-nor)")


def languages() -> str:
    """The language set pages are read with; a model that is not installed is a clear error, not a guess."""
    d = Path(tessdata_dir())
    missing = [lang for lang in _CONFIG["languages"].split("+") if not (d / f"{lang}.traineddata").is_file()]
    if missing:
        raise errors.ScannedFile(f"OCR is not available: no Tesseract model {', '.join(missing)} in {d}")
    return _CONFIG["languages"]


def second_pass_language() -> str | None:
    """The model for the second pass over address and name cells: Latin script, else English."""
    d = Path(tessdata_dir())
    return next((lang for lang in SECOND_PASS_LANGUAGES if (d / f"{lang}.traineddata").is_file()), None)


_APIS: dict[str, Any] = {}


def _api(lang: str, psm: int) -> Any:
    """The kept API for a language set, in page segmentation mode `psm` (one API a language: each
    loads its models, about 0.3 s and tens of MB; the mode is set per call)."""
    import tesserocr

    api = _APIS.get(lang)
    if api is None:
        try:
            api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=lang, psm=psm)
        except RuntimeError as exc:
            raise errors.ScannedFile(f"OCR is not available: Tesseract could not load '{lang}' ({exc})") from None
        _APIS[lang] = api
    api.SetPageSegMode(psm)
    return api


def read_words(image: Any, dpi: int, seconds: float = 0.0) -> list[OcrWord]:
    """OCR one page image (PIL, mode L or 1) into words; `seconds` > 0 lets Tesseract stop itself."""

    api = _api(languages(), PSM)
    api.SetImage(image)
    api.SetSourceResolution(int(dpi))
    if not api.Recognize(int(seconds * 1000)):
        api.Clear()
        raise errors.LimitExceeded("OCR of a page took too long")
    out: list[OcrWord] = []
    iterator = api.GetIterator()
    if iterator is not None:
        out = _words(iterator)
    api.Clear()
    return out


def read_cell(image: Any, dpi: int, lang: str) -> tuple[str, float]:
    """OCR a cell cut out of a page (one value, a line or two): its text and mean confidence."""
    import tesserocr

    api = _api(lang, tesserocr.PSM.SINGLE_BLOCK)
    api.SetImage(image)
    api.SetSourceResolution(int(dpi))
    text = " ".join(api.GetUTF8Text().split())
    conf = float(api.MeanTextConf())
    api.Clear()
    return text, conf


def _words(iterator: Any) -> list[OcrWord]:
    """Words from one pass over the symbols: a number's digit groups ("51 08 13 37") often come out
    of Tesseract as one word; the gaps between its symbols say where the spaces were."""
    import tesserocr

    word_level, symbol_level = tesserocr.RIL.WORD, tesserocr.RIL.SYMBOL
    out: list[OcrWord] = []
    current: list[tuple[str, tuple[int, int, int, int]]] = []
    conf = 0.0

    def flush() -> None:
        if current:
            out.extend(_split_digit_groups(current, conf))
            current.clear()

    for sym in tesserocr.iterate_level(iterator, symbol_level):
        if sym.IsAtBeginningOf(word_level):
            flush()
            conf = float(sym.Confidence(word_level))
        text = sym.GetUTF8Text(symbol_level)
        box = sym.BoundingBox(symbol_level)
        if text and box:
            current.append((text, box))
    flush()
    return out


def _split_digit_groups(symbols: list[tuple[str, tuple[int, int, int, int]]], conf: float) -> list[OcrWord]:
    text = "".join(t for t, _ in symbols)
    if not text.strip():
        return []
    pieces = [symbols]
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 4 and digits >= len(text) / 2:
        height = sorted(b[3] - b[1] for _, b in symbols)[len(symbols) // 2]
        pieces = [[symbols[0]]]
        for prev, sym in zip(symbols, symbols[1:], strict=False):
            # Digits of one group sit a fifth of their height apart (a "1" a quarter); with a space
            # between them, over half their height.
            if sym[1][0] - prev[1][2] > 0.38 * height:
                pieces.append([sym])
            else:
                pieces[-1].append(sym)
    return [OcrWord("".join(t for t, _ in p).strip(), conf,
                    (min(b[0] for _, b in p), min(b[1] for _, b in p), max(b[2] for _, b in p), max(b[3] for _, b in p)))
            for p in pieces if "".join(t for t, _ in p).strip()]


def orientation(image: Any) -> tuple[int, float]:
    """(degrees the page is turned clockwise: 0, 90, 180 or 270; Tesseract's confidence)."""
    import tesserocr

    api = _api("osd", tesserocr.PSM.OSD_ONLY)
    api.SetImage(image)
    try:
        found = api.DetectOrientationScript()
    except RuntimeError:
        found = None
    api.Clear()
    if not found:
        return 0, 0.0
    return int(found.get("orient_deg", 0)) % 360, float(found.get("orient_conf", 0.0))
