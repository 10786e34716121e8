"""The words of a page an operator reads: its text, without what is marked as not for them (the
"Tekniske detaljer" boxes, text marked lang="en", code), nor what outsiders wrote (a mail's text, a
reply being edited) which the page shows as it came."""

from __future__ import annotations

from html.parser import HTMLParser

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr", "image", "rect"})


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: hidden from this reading
        self.parts: list[str] = []

    def _hidden(self, tag: str, attrs: dict[str, str | None]) -> bool:
        classes = set((attrs.get("class") or "").split())
        return (tag in ("script", "style", "code", "textarea", "title") or attrs.get("lang") == "en"
                or (tag == "details" and "tech" in classes) or (tag == "pre" and "mail" in classes)
                or "hidden" in attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        hidden = bool(self.stack and self.stack[-1]) or self._hidden(tag, dict(attrs))
        self.stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)
