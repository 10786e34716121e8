"""A case's PDF as page images: drawn once in the sandbox (pipeline.forms.pdf_pages), kept in memory.

    pages(doc, key, settings) -> list[PageImage] | None   (None: the file could not be drawn)
    png(doc, key, number, settings) -> bytes | None

`key` names the stored file (its attachment); the bytes' digest is part of the cache key too, so a
purged or replaced file never shows an old image. The cache is bounded in bytes (least recently used
pages go first) and lives in this process only: personal data is never written to disk for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from pipeline.errors import PipelineError
from pipeline.forms import pdf_pages
from pipeline.forms.sandbox import run_limited
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageImage:
    number: int  # 1-based, as the readers' provenance counts PDF pages
    width: float  # points
    height: float
    png: bytes


_CACHE: OrderedDict[tuple[str, str], list[PageImage] | None] = OrderedDict()
_LOCK = threading.Lock()


def _size(entry: list[PageImage] | None) -> int:
    return sum(len(p.png) for p in entry or [])


def pages(data: bytes, key: str, settings: Settings) -> list[PageImage] | None:
    cache_key = (key, hashlib.sha256(data).hexdigest())
    with _LOCK:
        if cache_key in _CACHE:
            _CACHE.move_to_end(cache_key)
            return _CACHE[cache_key]
    web = settings.web
    try:
        drawn = run_limited(pdf_pages.TARGET, data, web.page_image_pages, web.page_image_width,
                            limits=settings.limits, preload=pdf_pages.PRELOAD)
        entry: list[PageImage] | None = [PageImage(i + 1, p["width"], p["height"], p["png"])
                                         for i, p in enumerate(drawn)]
    except PipelineError as exc:
        log.info("could not draw the PDF %s: %s", key, exc.code)
        entry = None
    with _LOCK:
        _CACHE[cache_key] = entry
        budget = web.page_image_cache_mb * 1024 * 1024
        while len(_CACHE) > 1 and sum(_size(e) for e in _CACHE.values()) > budget:
            _CACHE.popitem(last=False)
    return entry


def png(data: bytes, key: str, number: int, settings: Settings) -> bytes | None:
    found = pages(data, key, settings)
    if not found or not 1 <= number <= len(found):
        return None
    return found[number - 1].png
