"""Text output for a terminal: columns that fit, values cut at a word boundary with '…'."""

from __future__ import annotations

import shutil
from collections.abc import Sequence


def cut(text: str | None, width: int) -> str:
    """`text` on one line, at most `width` characters, cut at a word boundary with '…' when too long."""
    line = " ".join(str(text or "").split())
    if len(line) <= width:
        return line
    if width <= 1:
        return "…"[:width]
    head = line[: width - 1]
    space = head.rfind(" ")
    if space >= width * 3 // 5:  # a word boundary, unless that would throw away too much
        head = head[:space]
    return head.rstrip(" ,;:-") + "…"


def table(rows: Sequence[Sequence[str | None]], *, widths: Sequence[int | None], total: int | None = None,
          header: Sequence[str] | None = None) -> list[str]:
    """Rows as aligned lines under a header line (when there are rows). A width of None is flexible: the
    flexible columns share what the terminal has left (at least 12 characters each), and long values are
    cut; a fixed column is widened to its header."""
    total = total or shutil.get_terminal_size((120, 24)).columns
    if header is not None:
        if not rows:
            return []
        widths = [max(w, len(h)) if w else w for w, h in zip(widths, header, strict=True)]
        rows = [list(header), *rows]
    # A width of 0: as wide as the column's longest value, never cut (labels such as a state or a kind).
    widths = [w if w != 0 else max((len(" ".join(str(r[i] or "").split())) for r in rows), default=1)
              for i, w in enumerate(widths)]
    fixed = [w for w in widths if w is not None]
    flexible = [i for i, w in enumerate(widths) if w is None]
    spare = max(total - sum(fixed) - 2 * (len(widths) - 1), 12 * len(flexible))
    natural = {i: max((len(" ".join(str(r[i] or "").split())) for r in rows), default=0) for i in flexible}
    share: dict[int, int] = {}
    left = spare
    # Narrow columns take what they need; the rest share what remains.
    for i in sorted(flexible, key=lambda j: natural[j]):
        fair = left // max(1, len(flexible) - len(share))
        share[i] = min(natural[i], fair) if natural[i] else 1
        left -= share[i]
    lines = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            fixed_width = widths[i]
            w = fixed_width if fixed_width is not None else share[i]
            text = cut(value, w)
            cells.append(text if i == len(row) - 1 else text.ljust(w))
        lines.append("  ".join(cells).rstrip())
    return lines
