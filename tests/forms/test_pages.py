"""Placing the readers' boxes on page pictures (pure), and drawing PDF pages in the sandbox."""

from __future__ import annotations

import pytest

from pipeline import errors
from pipeline.forms.page_drawing import LOW_CONFIDENCE, field_boxes, png_size, render_pages
from pipeline.forms.reading import PagePicture
from tests.web.seed import fixture_file

pytestmark = pytest.mark.pure


def _page(number: int = 1, width: float = 595.0, height: float = 842.0, x0: float = 0.0, top: float = 0.0
          ) -> PagePicture:
    return PagePicture(number, b"", 0, 0, width, height, x0, top)


def _reading(provenance: dict) -> dict:  # type: ignore[type-arg]
    return {"source": {"provenance": provenance}}


def test_a_pdf_readers_box_is_placed_as_it_is_with_a_little_room():
    (box,) = field_boxes(_reading({"applicant.mobile": {"kind": "table_cell", "page": 1, "table": 0, "row": 7,
                                                        "cell": 1, "bbox": [240.0, 380.0, 520.0, 395.0]}}),
                         [_page()])
    assert (box.field, box.index, box.page) == ("applicant.mobile", None, 1)
    assert (box.x, box.y, box.width, box.height) == (238.5, 378.5, 283.0, 18.0)
    assert box.confidence is None and not box.low


def test_an_ocr_box_follows_the_straightened_page_and_its_confidence():
    where = {"kind": "ocr", "page": 2, "page_size": [600.0, 850.0], "bbox": [120.0, 170.0, 240.0, 187.0],
             "confidence": 91.0, "min_confidence": LOW_CONFIDENCE - 1}
    (box,) = field_boxes(_reading({"operator.email": where}), [_page(1), _page(2, 300.0, 425.0)])
    assert box.page == 2 and (box.x, box.y) == (58.5, 83.5)  # scaled to the picture's size in points
    assert box.confidence == 91.0 and box.low


def test_a_cropped_pdf_page_moves_the_boxes_and_what_lies_outside_is_not_drawn():
    pages = [_page(1, 500.0, 700.0, x0=50.0, top=100.0)]
    boxes = field_boxes(_reading({
        "applicant.first_name": {"page": 1, "bbox": [100.0, 200.0, 150.0, 212.0]},
        "applicant.last_name": {"page": 1, "bbox": [10.0, 20.0, 40.0, 30.0]},  # in the cropped-off margin
        "applicant.email": {"page": 3, "bbox": [100.0, 200.0, 150.0, 212.0]},  # a page not drawn
        "operator.manager": {"kind": "content_control", "table": 0, "row": 1, "cell": 1},  # Word: no page
        "centres": [{"page": 1, "bbox": [60.0, 400.0, 200.0, 412.0]}, None],
    }), pages)
    assert [(b.field, b.index, b.x, b.y) for b in boxes] == [("applicant.first_name", None, 48.5, 98.5),
                                                             ("centres", 0, 8.5, 298.5)]


def test_pdf_pages_are_drawn_in_the_sandbox_with_their_geometry():
    name, data = fixture_file("pdf-word-basic")
    pages = render_pages(data, name, "pdf_table")
    assert [p.number for p in pages] == [1, 2]
    first = pages[0]
    assert png_size(first.png) == (first.width_px, first.height_px) == (993, 1404)
    assert (first.width_pt, first.height_pt, first.x0_pt, first.top_pt) == (595.3, 841.89, 0.0, 0.0)


def test_what_cannot_be_drawn_says_so():
    with pytest.raises(errors.CorruptFile):
        render_pages(b"%PDF-1.4\n%truncated", "x.pdf", "pdf_text")
    with pytest.raises(errors.UnsupportedFormat):
        render_pages(b"PK\x03\x04 a word file", "x.docx", "docx")
