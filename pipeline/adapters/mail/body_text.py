"""Text out of a text part (charset trouble tolerated) and out of HTML (tags stripped)."""

from __future__ import annotations

import html
import re
from email.message import Message
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "td", "th", "blockquote"}


def part_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if not isinstance(data, bytes):
        try:
            payload = part.get_payload()
            return payload if isinstance(payload, str) else ""
        except Exception:  # noqa: BLE001
            return ""
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:  # noqa: BLE001 - a junk charset parameter
        charset = "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in _BLOCK:
            self.chunks.append("\n")
        if tag in ("td", "th"):
            self.chunks.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    stripper = _Stripper()
    try:
        stripper.feed(markup)
        stripper.close()
        text = "".join(stripper.chunks)
    except Exception:  # noqa: BLE001 - HTMLParser is forgiving; this is belt and braces
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    text = re.sub(r"[ \t\u00a0]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
