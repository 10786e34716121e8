"""Where mail comes from: a reference to one message at its source, and the folder source.

The IMAP source is in `pipeline.adapters.mail.imap` (it needs a server); both yield `Incoming` items and are
told afterwards, with `mark_taken`, which ones the pipeline took, so the mark on the source happens
only after the message's outcome is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class SourceRef:
    """One message at its source: (mailbox, UIDVALIDITY, UID) for IMAP; ("dir:<path>", None, None)
    for a file in a folder."""

    mailbox: str
    uidvalidity: int | None = None
    uid: int | None = None
    received_at: datetime | None = None  # IMAP INTERNALDATE (or when we first saw it), never the Date header


@dataclass(frozen=True)
class Incoming:
    """A message as the source hands it over. `size` set: the mail is over the size limit and `raw` is its
    header block only (the body was never downloaded); `size` is its whole size at the source."""

    raw: bytes
    source: SourceRef
    size: int | None = None


class DirSource:
    """Every .eml file in a folder (sorted by name), whatever its date. Nothing is changed on disk;
    the database remembers which files (by path) were taken."""

    def __init__(self, folder: str | Path, *, max_bytes: int | None = None) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes  # a larger file is not read: only its header block
        self.name = f"dir:{self.folder.resolve()}"
        # Files handed out and processed in this process, by (size, mtime): a long-running worker
        # need not read a large folder again every cycle. The database stays the judge of what was
        # taken; this only saves the reading.
        self._done: dict[Path, tuple[int, int]] = {}

    def fetch_new(self) -> Iterator[Incoming]:
        if not self.folder.is_dir():
            from pipeline.errors import SourceError

            raise SourceError(f"{self.folder} is not a folder")
        for path in sorted(self.folder.glob("*.eml")):
            if not path.is_file():
                continue
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns)
            if self._done.get(path) == key:
                continue
            ref = SourceRef(f"dir:{path.resolve()}")
            if self.max_bytes is not None and stat.st_size > self.max_bytes:
                yield Incoming(read_header_block(path), ref, size=stat.st_size)
            else:
                yield Incoming(path.read_bytes(), ref)
            # Reached only when the consumer asks for the next one, i.e. this one was processed.
            self._done[path] = key

    def mark_taken(self, source: SourceRef) -> bool:
        return False  # a folder is ours to read, not to change

    def close(self) -> None:
        return None


HEADER_BLOCK_MAX = 256 * 1024  # a header block longer than this is cut (the mail is refused anyway)


def read_header_block(path: Path) -> bytes:
    """The header block of a mail file (up to the first empty line), read without reading the body."""
    out = bytearray()
    with path.open("rb") as f:
        while len(out) < HEADER_BLOCK_MAX:
            line = f.readline(8192)  # bounded: a body of one endless line is never read whole
            out += line
            if not line or line in (b"\r\n", b"\n"):
                break
    return bytes(out[:HEADER_BLOCK_MAX])
