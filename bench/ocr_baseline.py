"""The Tesseract CLI baseline of bench/ocr and bench/parse: the pages a scan holds, as the CLI reads them."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

CLI_LANGUAGE = "nor"  # the model the reader reads the page with (its second pass is its own cost)


def scanned_dpi(page: Any, fallback: float) -> float:
    """The resolution of the page's scanned picture (the largest image on it)."""
    import pypdfium2.raw as pdfium_c

    best = None
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        x0, _, x1, _ = obj.get_bounds()
        if x1 - x0 > 72 and (best is None or x1 - x0 > best[0]):
            best = (x1 - x0, obj.get_px_size()[0] * 72 / (x1 - x0))
    return fallback if best is None else best[1]


def cli_pages(data: bytes, pages: int, dpi: int, tmp: Path, stem: str) -> list[Path]:
    """The pages the reader read, as PNG files for the CLI: an image's own pixels, a PDF page
    rendered at its scanned picture's resolution (what the scanner made)."""
    from PIL import Image, ImageSequence

    images = []
    if data.startswith(b"%PDF"):
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(data)
        images = [doc[i].render(scale=scanned_dpi(doc[i], dpi) / 72, grayscale=True).to_pil()
                  for i in range(min(pages, len(doc)))]
    else:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:
            pass
        with Image.open(io.BytesIO(data)) as img:
            images = [f.convert("L") for n, f in enumerate(ImageSequence.Iterator(img)) if n < pages]
    paths = []
    for i, img in enumerate(images):
        path = tmp / f"{stem}-{i + 1}.png"
        img.save(path)
        paths.append(path)
    return paths


def tesseract_cli(path: Path) -> str:
    """`tesseract -l nor page.png -` on one thread, as the reader's Tesseract runs."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return subprocess.run(["tesseract", "-l", CLI_LANGUAGE, str(path), "-"], capture_output=True, text=True,
                          env=env, check=True).stdout
