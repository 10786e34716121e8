"""Is this picture possibly a page? Cheap tests on an image's header (no decoding of pixels)."""

from __future__ import annotations

import io

MIN_PAGE_BYTES = 30 * 1024  # logos and signature images are smaller; a photographed page is larger
MIN_PAGE_SIDE = 600  # pixels on the shorter side: a page below ~70 dpi cannot be read anyway


def looks_like_page(data: bytes) -> bool:
    """True for a picture big enough to hold a readable page: not a logo, an icon or a smiley.
    A black-and-white (1-bit) page is one however few bytes it has: a fax's CCITT group 4 page is
    20-40 KB, and a one-page fax TIFF was passed over as a logo."""
    header = _header(data)
    if header is not None and min(header[0]) < MIN_PAGE_SIDE:
        return False
    if len(data) >= MIN_PAGE_BYTES:
        return True
    return header is not None and header[1] == "1"


def _header(data: bytes) -> tuple[tuple[int, int], str] | None:
    """Width and height and the pixel mode from the header (Pillow reads only the header on open);
    None when unknown: then the byte size alone decides. HEIC is not opened here, in the mail
    process (libheif parses its header only in the sandbox child)."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size, image.mode
    except Exception:  # noqa: BLE001 - a header Pillow cannot parse: let the OCR reader say what it is
        return None
