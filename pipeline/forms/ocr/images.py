"""Is this picture possibly a page? Cheap tests on an image's header (no decoding of pixels)."""

from __future__ import annotations

import io

MIN_PAGE_BYTES = 30 * 1024  # logos and signature images are smaller; a photographed page is larger
MIN_PAGE_SIDE = 600  # pixels on the shorter side: a page below ~70 dpi cannot be read anyway


def looks_like_page(data: bytes) -> bool:
    """True for a picture big enough to hold a readable page: not a logo, an icon or a smiley."""
    if len(data) < MIN_PAGE_BYTES:
        return False
    size = _pixel_size(data)
    return size is None or min(size) >= MIN_PAGE_SIDE


def _pixel_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header (Pillow reads only the header on open); None when unknown:
    then the byte size alone decides. HEIC is not opened here, in the mail process (libheif parses
    its header only in the sandbox child)."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:  # noqa: BLE001 - a header Pillow cannot parse: let the OCR reader say what it is
        return None
