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
    received_at: datetime | None = None  # IMAP INTERNALDATE, when known


@dataclass(frozen=True)
class Incoming:
    raw: bytes
    source: SourceRef


class DirSource:
    """Every .eml file in a folder (sorted by name), whatever its date. Nothing is changed on disk;
    the database remembers which files (by path) were taken."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
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
            yield Incoming(path.read_bytes(), SourceRef(f"dir:{path.resolve()}"))
            # Reached only when the consumer asks for the next one, i.e. this one was processed.
            self._done[path] = key

    def mark_taken(self, source: SourceRef) -> bool:
        return False  # a folder is ours to read, not to change

    def close(self) -> None:
        return None
