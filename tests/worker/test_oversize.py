"""Size before download (issue 16, item 5): a mail over the size limit is never downloaded. Over IMAP the
worker decides on RFC822.SIZE and BODYSTRUCTURE and fetches the header block only; the folder source reads
the file's size before its bytes. Only the headers, the size and the outcome are stored, the mail gets its
reply and, over IMAP, its mark. (The 200 MB mail's memory and database figures: bench/oversize.)"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, text

from pipeline.adapters.db.models import Message, Reply
from pipeline.entrypoints.worker import Worker
from pipeline.settings import Settings
from tests.conftest import FIXTURES
from tests.mail.builders import mail, raw

LIMIT = 1024 * 1024


def _big() -> bytes:
    filler = os.urandom(3 * LIMIT)  # random: no compression anywhere makes it small
    return raw(mail("Skjema mottaksadministrator", attachments=[("skjema.pdf", filler, "application/pdf")]))


def _limited(settings: Settings) -> Settings:
    return replace(settings, limits=replace(settings.limits, max_message_bytes=LIMIT))


def _database_bytes(settings: Settings, db) -> int:  # type: ignore[no-untyped-def]
    if settings.db_url.startswith("sqlite"):
        path = Path(settings.db_url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with db() as s:
        return int(s.scalar(text("SELECT pg_database_size(current_database())")))


def _stored(db, data: bytes) -> Message:  # type: ignore[no-untyped-def]
    with db() as s:
        (message,) = s.scalars(select(Message)).all()
        assert (message.outcome, message.headers_only, message.size) == ("limit.exceeded", True, len(data))
        assert message.raw is not None and len(message.raw) < 4096 and b"boundary=" in message.raw
        assert message.attachments == []
        assert [r.kind for r in s.scalars(select(Reply).where(Reply.message_pk == message.id))] == ["unreadable"]
        return message


@pytest.mark.imap
def test_imap_takes_only_the_headers_of_a_mail_over_the_limit(dovecot, imap_user, settings, db):
    settings = _limited(settings)
    data = _big()
    client = dovecot.client(imap_user)
    client.append("INBOX", data)
    client.append("INBOX", (FIXTURES / "docx-plain.eml").read_bytes())  # the mail behind it is read as ever
    before = _database_bytes(settings, db)
    worker = Worker(settings, source="imap")
    stats = worker.run(once=True)
    assert worker.source.headers_only == 1 and worker.source.downloaded == 1
    assert worker.source.bytes_downloaded < 64 * 1024  # the body never crossed the wire
    assert _database_bytes(settings, db) - before < 1024 * 1024
    assert stats.outcomes["limit.exceeded"] == 1
    with db() as s:
        big = s.scalars(select(Message).where(Message.uid == 1)).one()
        assert (big.outcome, big.headers_only, big.attachments) == ("limit.exceeded", True, [])
        assert len(big.raw or b"") < 4096
        client.select_folder("INBOX")
        size = client.fetch([1], ["RFC822.SIZE"])[1][b"RFC822.SIZE"]
        assert big.size == size
        kinds = list(s.scalars(select(Reply.kind).where(Reply.message_pk == big.id)))
        assert kinds == ["unreadable"]
    assert client.get_flags([1])[1] == (b"$IMDiSkjema",)  # taken, answered and marked like any other
    client.logout()


def test_the_folder_source_reads_the_size_before_the_bytes(tmp_path, settings, db):
    settings = _limited(settings)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = _big()
    (inbox / "big.eml").write_bytes(data)
    read: list[int] = []
    real_open = Path.open

    def counting_open(self, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(self, mode, *args, **kwargs)
        if self.name == "big.eml":
            handle = _Counting(handle, read)
        return handle

    Path.open = counting_open  # type: ignore[method-assign]
    try:
        before = _database_bytes(settings, db)
        Worker(settings, source=f"dir:{inbox}").run(once=True)
    finally:
        Path.open = real_open  # type: ignore[method-assign]
    assert 0 < sum(read) < 64 * 1024  # the header block only, never the 3 MB body
    assert _database_bytes(settings, db) - before < 1024 * 1024
    _stored(db, data)


class _Counting:
    """A file whose reads are counted (what the folder source took from the disk)."""

    def __init__(self, handle, counts: list[int]) -> None:  # type: ignore[no-untyped-def]
        self._handle, self._counts = handle, counts

    def readline(self, *args):  # type: ignore[no-untyped-def]
        line = self._handle.readline(*args)
        self._counts.append(len(line))
        return line

    def read(self, *args):  # type: ignore[no-untyped-def]
        data = self._handle.read(*args)
        self._counts.append(len(data))
        return data

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        self._handle.close()
