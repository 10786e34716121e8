"""From Tesseract's words and the rules found in the image to the PDF readers' page model.

The OCR reader reads the form the way the label-anchored PDF reader does (`pdf_parse.read_layout`:
the ruled tables, then the words beside their labels), so both apply the one form definition.
Here the page is rebuilt in PDF points (72 per inch of the prepared image), so the PDF reader's
tolerances (line grouping, continuation gaps) mean the same thing: words keep their Tesseract
confidence, and the tables are made from the rules: rows between horizontal rules, cells between
the vertical rules that cross the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.forms.definition import FormDefinition, norm_label
from pipeline.forms.ocr.engine import OcrWord
from pipeline.forms.ocr.prep import Rule
from pipeline.forms.pdf_layout import Cell, Line, PageData, Table, Word, group_lines, words_in

ROW_GAP_IN = 1.2  # horizontal rules further apart than this (inches) are not one table's rows
SNAP_SCORE = 88  # fuzzy score for an OCR'd line start to count as a label or heading


@dataclass
class ConfWord(Word):
    conf: float = 0.0


MIN_WORD_HEIGHT_IN = 0.035  # flatter than this is a scrap of a rule, not a word (a hyphen is in a word)
DASH_MAX_WIDTH_IN = 0.12  # a dash standing alone ("Egersund - mottaksnr. 1104"); a rule's scrap is longer


def to_points(words: list[OcrWord], dpi: float) -> list[ConfWord]:
    f = 72.0 / dpi
    out = []
    for w in words:
        text = _clean_word(w.text)
        x0, top, x1, bottom = w.box
        if not text:
            continue
        flat = bottom - top < MIN_WORD_HEIGHT_IN * dpi
        if flat and not (text == "-" and x1 - x0 <= DASH_MAX_WIDTH_IN * dpi):
            continue
        out.append(ConfWord(text, x0 * f, top * f, x1 * f, bottom * f, conf=w.conf))
    for dash in [w for w in out if w.text == "-" and w.bottom - w.top < MIN_WORD_HEIGHT_IN * 72]:
        # A dash sits at the middle of its line's letters: it takes their top and bottom, so that
        # line grouping (by top) keeps it between the words it stands between.
        middle = (dash.top + dash.bottom) / 2
        near = [w for w in out if w is not dash and w.top <= middle <= w.bottom
                and min(abs(w.x1 - dash.x0), abs(dash.x1 - w.x0)) < 0.3 * 72]
        if near:
            dash.top, dash.bottom = near[0].top, near[0].bottom
    return out


def level_rows(words: list[ConfWord]) -> int:
    """Words of one row given one top, following the row where it drifts across the page.

    A page that does not lie flat (a photo of a curled page) bends its rows: the value at the right
    of a row sits a few points above or below its label, and the PDF readers' line grouping (tops
    within 3 points) parts them, or joins a value to the row above. Here each word joins the row
    whose nearest word to its left has its middle within half a letter's height of its own (so a
    row is followed step by step, however it slopes), and every word of a row takes the row's first
    top. Returns how many words were moved."""
    if not words:
        return 0
    heights = sorted(w.bottom - w.top for w in words)
    tol = 0.5 * heights[len(heights) // 2]
    rows: list[list[ConfWord]] = []
    for w in sorted(words, key=lambda w: w.x0):
        middle = (w.top + w.bottom) / 2
        best, best_d = None, tol
        for row in rows:
            last = row[-1]
            if last.x1 > w.x0 + 2:
                continue
            d = abs((last.top + last.bottom) / 2 - middle)
            if d <= best_d:
                best, best_d = row, d
        if best is None:
            rows.append([w])
        else:
            best.append(w)
    moved = 0
    for row in rows:
        top = row[0].top
        for w in row[1:]:
            if w.top != top:
                w.bottom += top - w.top
                w.top = top
                moved += 1
    return moved


def _clean_word(text: str) -> str:
    """Drop what is left of rules and specks: '|', '_', '—' alone, or hanging off a word."""
    if text.strip() in ("-", "–", "/"):
        return "-" if text.strip() == "–" else text.strip()  # punctuation between words is the value's
    text = text.strip().strip("|_—–~¦")
    if any(ch.isalpha() for ch in text):
        # A speck beside a word reads as "!" or a quote; no value on this form ends with one.
        text = text.rstrip("!'`´‘’\"")
    if not text or all(not ch.isalnum() for ch in text) and text not in ("-", "+", "&", "@", "/"):
        return ""
    return text


def build_tables(page: int, rules: list[Rule], words: list[Word], dpi: float) -> list[Table]:
    """Tables from rules (in pixels): rows between horizontal rules that vertical rules join."""
    f = 72.0 / dpi
    hs = sorted((r for r in rules if r.horizontal), key=lambda r: r.pos)
    vs = [r for r in rules if not r.horizontal]
    tol = 0.05 * dpi
    groups: list[list[Rule]] = []
    for h in hs:
        g = groups[-1] if groups else None
        if g and h.pos - g[-1].pos <= ROW_GAP_IN * dpi and _overlap(g[-1], h) > 0.7 and any(
                v.start <= g[-1].pos + tol and v.end >= h.pos - tol and h.start - tol <= v.pos <= h.end + tol
                for v in vs):
            g.append(h)
        else:
            groups.append([h])
    tables = []
    for g in groups:
        if len(g) < 2:
            continue
        x0, x1 = min(r.start for r in g), max(r.end for r in g)
        # On a curled page a rule's ends bend away and its straight runs stop short of the table's
        # edge; the outer vertical rules still say where the table starts and ends.
        span = g[-1].pos - g[0].pos
        # Only the table's own rules: ones that end with it (a page's edge in a photo runs on).
        sides = [v.pos for v in vs if min(v.end, g[-1].pos) - max(v.start, g[0].pos) >= 0.7 * span
                 and v.end - v.start <= span + 1.0 * dpi]
        if sides:
            x0, x1 = min(x0, min(sides)), max(x1, max(sides))
        rows: list[list[Cell | None]] = []
        for upper, lower in zip(g, g[1:], strict=False):
            if lower.pos - upper.pos < 0.08 * dpi:
                continue  # a double rule, not a row
            mid_lo, mid_hi = upper.pos + tol, lower.pos - tol
            xs = sorted({x0, x1, *(v.pos for v in vs if v.start <= mid_lo and v.end >= mid_hi
                                   and x0 + tol < v.pos < x1 - tol)})
            cells: list[Cell | None] = []
            for a, b in zip(xs, xs[1:], strict=False):
                if b - a < 0.1 * dpi:
                    continue
                bbox = (a * f, upper.pos * f, b * f, lower.pos * f)
                cells.append(Cell(bbox, group_lines(page, words_in(words, bbox))))
            rows.append(cells)
        tables.append(Table(page=page, index=0, bbox=(x0 * f, g[0].pos * f, x1 * f, g[-1].pos * f), rows=rows))
    return tables


def _overlap(a: Rule, b: Rule) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    return max(0.0, inter) / max(1.0, min(a.end - a.start, b.end - b.start))


def page_data(number: int, words: list[ConfWord], rules: list[Rule], dpi: float,
              size_pt: tuple[float, float]) -> PageData:
    data = PageData(number=number, width=size_pt[0], height=size_pt[1], mediabox_top=size_pt[1],
                    words=list(words), images=1, image_area=size_pt[0] * size_pt[1])
    data.tables = build_tables(number, rules, data.words, dpi)
    data.tables_searched = True
    return data


# -- labels the OCR got almost right ------------------------------------------------------------
def _known_texts(definition: FormDefinition) -> list[str]:
    texts = [lab for f in definition.all_fields() for lab in f.labels if len(lab) >= 8]
    texts += [h for s in definition.sections for h in s.headings]
    texts += list(definition.centres.headings) + list(definition.centres.end_markers)
    # Longest first: "navn på firma / organisasjon" before "organisasjon".
    return sorted({norm_label(t) for t in texts}, key=len, reverse=True)


def snap_labels(definition: FormDefinition, words: list[ConfWord]) -> int:
    """Replace a line's first words with the label or heading they nearly spell ("Mobiltelefonnummar:"
    -> "Mobiltelefonnummer:"), so that the exact label matching of the PDF readers finds it. Only
    long labels are snapped (a short one is as near to a value as to itself). Returns how many."""
    known = _known_texts(definition)
    snapped = 0
    for line in group_lines(0, list[Word](words)):
        # Within a table row the label sits in the first cell; a few words make any label.
        for n in range(min(8, len(line.words)), 0, -1):
            head = line.words[:n]
            text = norm_label(" ".join(w.text for w in head))
            if len(text) < 8:
                break
            best = max(known, key=lambda k: fuzz.ratio(text, k))
            score = fuzz.ratio(text, best)
            if score >= SNAP_SCORE and abs(len(text) - len(best)) <= max(2, len(best) // 8):
                if text != best:
                    colon = ":" if head[-1].text.endswith(":") else ""
                    first = head[0]
                    first.text = _cased_like(head, best) + colon
                    first.x1 = head[-1].x1
                    first.bottom = max(w.bottom for w in head)
                    drop = {id(w) for w in head[1:]}
                    words[:] = [w for w in words if id(w) not in drop]
                    snapped += 1
                break
    return snapped


def _cased_like(head: list[Word], label: str) -> str:
    """The label with its first letter cased as written (labels start upper case)."""
    return label[:1].upper() + label[1:] if head[0].text[:1].isupper() else label


def line_texts(pages: list[PageData]) -> list[Line]:
    return [line for p in pages for line in p.lines()]
