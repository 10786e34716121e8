"""Every frame of a scan is held to the pixel limit before any is decoded (review item: the limit held
for a TIFF's first frame only; three later frames of 97 Mpx each went to OCR preparation).

The files are written byte by byte: an all-white 1-bit page in CCITT group 4 is one bit a row, so a
97-Mpx frame costs a kilobyte to send and 97 MB to decode, as an attacker would want.
"""

from __future__ import annotations

import struct

import pytest
from sqlalchemy import select

from pipeline.adapters.db.models import Attachment
from pipeline.usecases.ingest import ingest_message
from tests.security import hostile
from tools.fixtures.cases_pdf_build import assemble

BIG = (11400, 8510)  # 97 Mpx; the limit is 50 Mpx
PAGE = (1654, 2339)  # A4 at 200 dpi


def g4_white(height: int) -> bytes:
    """CCITT group 4 data of an all-white page: a "V0" code (one 1 bit) a row, then end of block."""
    bits = "1" * height + "000000000001000000000001"
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def tiff(frames: list[tuple[int, int]]) -> bytes:
    """A multi-frame 1-bit TIFF (group 4), one IFD a frame."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    ifds = []
    for width, height in frames:
        strip = g4_white(height)
        strip_at = len(out)
        out += strip + b"\0" * (len(strip) % 2)
        res_at = len(out)
        out += struct.pack("<II", 200, 1)
        tags = [(256, 4, width), (257, 4, height), (258, 3, 1), (259, 3, 4), (262, 3, 0), (273, 4, strip_at),
                (277, 3, 1), (278, 4, height), (279, 4, len(strip)), (282, 5, res_at), (283, 5, res_at), (296, 3, 2)]
        ifds.append(len(out))
        out += struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHII", t, k, 1, v) for t, k, v in tags)
        out += b"\0\0\0\0"
    struct.pack_into("<I", out, 4, ifds[0])
    for at, following in zip(ifds, ifds[1:], strict=False):
        struct.pack_into("<I", out, at + 2 + 12 * len(tags), following)
    # Padding nothing points at: a file this small would be passed over as a logo, not read as a page.
    return bytes(out) + bytes(40 * 1024)


def scanned_pdf(pictures: list[tuple[int, int]]) -> bytes:
    """An image-only PDF, one 1-bit group-4 picture a page (A4), as a scanner's "scan to PDF" makes."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for width, height in pictures:
        data = g4_white(height)
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                       b"/BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d "
                       b"/Rows %d >> /Length %d >>\nstream\n" % (width, height, width, height, len(data))
                       + data + b"\nendstream")
        content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject "
                       b"<< /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (len(objects) - 1, len(objects)))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    return assemble(objects, root=1)


@pytest.mark.parametrize(("name", "data", "ctype"), [
    ("Skanning.tif", tiff([PAGE, BIG, BIG, BIG]), "image/tiff"),
    ("scan0001.pdf", scanned_pdf([PAGE, BIG, BIG]), "application/pdf"),
], ids=["tiff-later-frames", "pdf-later-pages"])
def test_a_scan_with_huge_later_frames_is_refused_before_any_is_decoded(db, settings, name, data, ctype):
    raw = hostile.message(from_header=hostile.CASE_SENDER, subject="Skjema", auth=hostile.auth_results("fjellbu.no"),
                          attachments=((name, data, ctype),), message_id=f"<{name}@fjellbu.no>")
    assert len(data) < 60_000  # tens of kilobytes as sent
    msg = ingest_message(db, raw, source=None, settings=settings)
    with db() as s:
        att = s.scalars(select(Attachment).where(Attachment.message_pk == msg.id)).one()
    # The typed limit error naming the frame, not a blank first page read as "unreadable".
    assert att.code == "limit.exceeded", (att.code, att.error_message)
    assert "11400x8510" in (att.error_message or "") and "page 1 " not in (att.error_message or "")
    assert msg.error is None and msg.outcome in ("unreadable", "limit.exceeded")


def test_every_image_of_a_heic_is_held_to_the_limit_before_any_is_decoded():
    """A HEIC holds a sequence of images; the second one over the limit refuses the file (through
    read_form, the entry point the worker's intake uses; the limit lowered so that the file is small)."""
    import io
    from dataclasses import replace

    import pillow_heif
    from PIL import Image

    from pipeline import errors
    from pipeline.forms import read_form
    from pipeline.settings import Limits

    heif = pillow_heif.from_pillow(Image.new("RGB", (120, 170), "white"))
    heif.add_from_pillow(Image.new("RGB", (400, 300), "white"))
    buf = io.BytesIO()
    heif.save(buf, quality=50)
    with pytest.raises(errors.LimitExceeded, match="frame 2 of the image is 400x300"):
        read_form(buf.getvalue(), "IMG_5120.HEIC", replace(Limits(), max_image_pixels=60_000))
