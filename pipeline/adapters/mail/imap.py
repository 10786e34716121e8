"""The IMAP source: only new UIDs, envelope and structure first, BODY.PEEK for what can matter only.

What can matter is decided by `pipeline.adapters.mail.structure.reason_to_read` (a driftsoperatør's
address or domain, an answer to a case or a review, a form), then by a server-side search of the rest's
bodies for the form's words; what is left is listed as skipped (pipeline.adapters.mail.skipped). A mail
over the size limit (RFC822.SIZE, or its BODYSTRUCTURE's parts) is never downloaded: only its header
block is, so that it is recorded, answered and marked like any other.

It remembers the highest UID taken per UIDVALIDITY (MailboxState). On the first run it takes mail
whose INTERNALDATE is within `since_days` (or since --since); after a UIDVALIDITY change it looks at
that window again and relies on the ingest's dedupe (same mailbox, same bytes) so nothing is lost or
repeated. Flags of mail it did not take are never touched. Library and socket errors become
SourceError here.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from pipeline.adapters.mail.oauth import access_token
from pipeline.adapters.mail.skipped import Skipped
from pipeline.adapters.mail.sources import Incoming, SourceRef
from pipeline.adapters.mail.structure import (
    BODY_WORDS,
    Interest,
    decoded_text,
    reason_to_read,
    sender_address,
)
from pipeline.errors import SourceError
from pipeline.settings import ImapSettings

log = logging.getLogger(__name__)

NETWORK_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, socket.timeout, ssl.SSLError, EOFError)
HEADERS_CHUNK = 500
BODY_CHUNK = 20
REFERENCES = "BODY.PEEK[HEADER.FIELDS (REFERENCES)]"


class LoginFailed(SourceError):
    code = "mail.login_failed"


class Book(Protocol):
    """What the source remembers between polls (pipeline.usecases.mailboxes.MailboxBook keeps it in the
    database, each change in a unit of work of its own)."""

    def position(self) -> tuple[int | None, int]: ...
    def save_position(self, uidvalidity: int | None, uid: int) -> None: ...
    def left_unread(self, uidvalidity: int, rows: list[Skipped]) -> None: ...
    def interest(self) -> Interest: ...


class ImapSource:
    def __init__(self, config: ImapSettings, book: Book, *, since: date | None = None,
                 max_bytes: int | None = None) -> None:
        self.config = config.checked()
        self.book = book
        self.since = since
        self.max_bytes = max_bytes  # larger mail: only its header block is downloaded
        self.name = config.mailbox
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.scanned = 0  # messages whose envelope and structure were looked at
        self.downloaded = 0  # messages downloaded
        self.bytes_downloaded = 0
        self.bytes_seen = 0  # RFC822.SIZE of the messages scanned
        self.skipped = 0  # messages left unread (listed in skipped_mail)
        self.headers_only = 0  # messages over the size limit: header block only

    # --- connection --------------------------------------------------------------------------------

    def connect(self) -> None:
        cfg = self.config
        try:
            # Certificates and host names are always verified; an internal CA can be added.
            context = ssl.create_default_context(cafile=cfg.ca_file) if cfg.ca_file else ssl.create_default_context()
            if cfg.ssl_mode == "ssl":
                client = IMAPClient(cfg.host, port=cfg.port, ssl=True, ssl_context=context, timeout=cfg.timeout)
            else:
                client = IMAPClient(cfg.host, port=cfg.port, ssl=False, timeout=cfg.timeout)
                if cfg.ssl_mode == "starttls":
                    client.starttls(context)
            client.normalise_times = False
        except NETWORK_ERRORS as exc:
            raise SourceError(f"cannot connect to {cfg.host}:{cfg.port}: {exc}") from exc
        try:
            if cfg.uses_oauth:
                client.oauth2_login(cfg.user, access_token(cfg))
            else:
                client.login(cfg.user, cfg.password or "")
        except LoginError as exc:
            _quietly(client.logout)
            raise LoginFailed(f"login to {cfg.host} as {cfg.user} failed: {exc}") from exc
        except NETWORK_ERRORS as exc:
            raise SourceError(f"login to {cfg.host} failed: {exc}") from exc
        try:
            info = client.select_folder(cfg.folder)
            self.capabilities = {c.decode().upper() if isinstance(c, bytes) else str(c).upper()
                                 for c in client.capabilities()}
        except NETWORK_ERRORS as exc:
            _quietly(client.logout)
            raise SourceError(f"cannot open folder {cfg.folder}: {exc}") from exc
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            _quietly(self.client.logout)
        self.client = None

    def _client(self) -> IMAPClient:
        if self.client is None:
            self.connect()
        assert self.client is not None
        return self.client

    # --- fetching ----------------------------------------------------------------------------------

    def fetch_new(self) -> Iterator[Incoming]:
        """The candidate messages not taken yet, oldest first. Advances the remembered UID as it goes
        (each chunk after the caller has processed it), so a crash repeats at most one chunk."""
        try:
            yield from self._fetch_new()
        except NETWORK_ERRORS as exc:
            self.close()
            raise SourceError(f"IMAP: {exc}") from exc

    def _fetch_new(self) -> Iterator[Incoming]:
        client = self._client()
        known_validity, known_uid = self.book.position()
        if known_validity != self.uidvalidity:
            if known_validity is not None:
                log.warning("UIDVALIDITY of %s changed (%s -> %s): rescanning the window",
                            self.name, known_validity, self.uidvalidity)
            uids = sorted(client.search(["SINCE", self._window_start()]))
            last_uid = 0
        else:
            last_uid = known_uid
            uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        for i in range(0, len(uids), HEADERS_CHUNK):
            chunk = uids[i:i + HEADERS_CHUNK]
            yield from self._chunk(client, chunk)
            self.book.save_position(self.uidvalidity, chunk[-1])
        if not uids:
            self.book.save_position(self.uidvalidity, last_uid)

    def _chunk(self, client: IMAPClient, uids: list[int]) -> Iterator[Incoming]:
        meta = client.fetch(uids, ["ENVELOPE", "BODYSTRUCTURE", "INTERNALDATE", "RFC822.SIZE"])
        self.scanned += len(meta)
        interest = self.book.interest()
        wanted, rest = [], []
        for uid in uids:
            item = meta.get(uid)
            if item is None:  # expunged meanwhile
                continue
            self.bytes_seen += int(item.get(b"RFC822.SIZE") or 0)
            if reason_to_read(item.get(b"ENVELOPE"), item.get(b"BODYSTRUCTURE"), None, interest):
                wanted.append(uid)
            else:
                rest.append(uid)
        # An answer further down a thread names our Message-ID in References only. Those headers are asked
        # for the replies among the rest (In-Reply-To set), not for every mail: reading them costs the
        # server a look into each file.
        replies = [uid for uid in rest if getattr(meta[uid].get(b"ENVELOPE"), "in_reply_to", None)]
        if replies:
            heads = client.fetch(replies, [REFERENCES])
            for uid in replies:
                references = next((v for k, v in heads.get(uid, {}).items()
                                   if k.startswith(b"BODY[HEADER.FIELDS")), None)
                if references and reason_to_read(meta[uid].get(b"ENVELOPE"), None, references, interest):
                    wanted.append(uid)
                    rest.remove(uid)
            wanted.sort()
        if rest:
            found = set(self._body_words(client, rest))
            wanted = sorted(set(wanted) | found)
            left = [uid for uid in rest if uid not in found]
            assert self.uidvalidity is not None
            self.book.left_unread(self.uidvalidity, [_skipped(uid, meta[uid]) for uid in left])
            self.skipped += len(left)
        small = [uid for uid in wanted if self.max_bytes is None or _size(meta[uid]) <= self.max_bytes]
        for j in range(0, len(wanted), BODY_CHUNK):
            part = wanted[j:j + BODY_CHUNK]
            whole = [uid for uid in part if uid in small]
            bodies = client.fetch(whole, ["BODY.PEEK[]"]) if whole else {}
            heads = [uid for uid in part if uid not in small]
            # Over the limit: the header block only (RFC 3501 HEADER), the body stays on the server.
            headers = client.fetch(heads, ["BODY.PEEK[HEADER]"]) if heads else {}
            for uid in part:
                ref = SourceRef(self.name, self.uidvalidity, uid, _internal(meta[uid]))
                if uid in small:
                    raw = bodies.get(uid, {}).get(b"BODY[]")
                    if raw is None:
                        continue
                    self.downloaded += 1
                    self.bytes_downloaded += len(raw)
                    yield Incoming(bytes(raw), ref)
                else:
                    head = headers.get(uid, {}).get(b"BODY[HEADER]")
                    if head is None:
                        continue
                    self.headers_only += 1
                    self.bytes_downloaded += len(head)
                    yield Incoming(bytes(head), ref, size=_size(meta[uid]))

    def _body_words(self, client: IMAPClient, uids: list[int]) -> list[int]:
        """Messages whose text has the form's words, searched on the server (nothing downloaded)."""
        crit: list[object] = ["UID", _uid_set(uids)]
        ors = [["BODY", w] for w in BODY_WORDS]
        for _ in range(len(ors) - 1):
            crit.append("OR")
        for o in ors:
            crit.extend(o)
        found = set(client.search(crit))
        return [u for u in uids if u in found]

    def _window_start(self) -> date:
        if self.since is not None:
            return self.since
        return (datetime.now(UTC) - timedelta(days=self.config.since_days)).date()

    # --- after commit ------------------------------------------------------------------------------

    def mark_taken(self, source: SourceRef) -> bool:
        """Keyword (default) or move; only for mail the pipeline took, only after its commit."""
        if source.uid is None:
            return False
        # Connect first: a retry after a restart runs before this worker's first poll, and its mark is owed.
        client = self._client()
        if source.uidvalidity != self.uidvalidity:
            return False  # renumbered since: the mark would hit another message
        try:
            if self.config.move_to:
                self._move(client, source.uid)
            else:
                client.add_flags([source.uid], [self.config.keyword], silent=True)
        except NETWORK_ERRORS as exc:
            self.close()
            raise SourceError(f"IMAP: cannot mark UID {source.uid}: {exc}") from exc
        return True

    def _move(self, client: IMAPClient, uid: int) -> None:
        folder = self.config.move_to or ""
        if not client.folder_exists(folder):
            client.create_folder(folder)
        if "MOVE" in self.capabilities:
            client.move([uid], folder)
        elif "UIDPLUS" in self.capabilities:
            client.copy([uid], folder)
            client.add_flags([uid], [b"\\Deleted"], silent=True)
            client.uid_expunge([uid])  # only this UID: plain EXPUNGE would remove others' deleted mail
        else:
            log.warning("server has neither MOVE nor UIDPLUS: keyword instead of moving UID %s", uid)
            client.add_flags([uid], [self.config.keyword], silent=True)

    # --- waiting -----------------------------------------------------------------------------------

    def wait(self, seconds: float) -> None:
        """Until the server reports a change (IDLE) or `seconds` pass. IDLE is ended and re-issued by
        the caller's loop at least every `idle_renew_seconds`."""
        client = self._client()
        try:
            if self.config.idle and "IDLE" in self.capabilities:
                client.idle()
                try:
                    client.idle_check(timeout=min(seconds, self.config.idle_renew_seconds))
                finally:
                    client.idle_done()
            else:
                import time

                time.sleep(seconds)
                client.noop()
        except NETWORK_ERRORS as exc:
            self.close()
            raise SourceError(f"IMAP: {exc}") from exc


def _internal(item: dict[bytes, object]) -> datetime:
    """The server's arrival time (INTERNALDATE); when the server gives none, now: the first time we saw it."""
    internal = item.get(b"INTERNALDATE")
    if isinstance(internal, datetime):
        return internal if internal.tzinfo is not None else internal.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _size(item: dict[bytes, object]) -> int:
    """The mail's size as the server gives it: RFC822.SIZE, or the sum of its BODYSTRUCTURE's parts if more."""
    declared = item.get(b"RFC822.SIZE")
    size = int(declared) if isinstance(declared, int | str | bytes) and str(declared).strip().isdigit() else 0
    return max(size, _octets(item.get(b"BODYSTRUCTURE")))


def _octets(node: object) -> int:
    """The encoded octets of every single part of a BODYSTRUCTURE."""
    if not isinstance(node, list | tuple):
        return 0
    if len(node) >= 7 and isinstance(node[0], bytes | str) and isinstance(node[1], bytes | str):
        return int(node[6]) if isinstance(node[6], int) else 0
    return sum(_octets(child) for child in node)


def _skipped(uid: int, item: dict[bytes, object]) -> Skipped:
    envelope = item.get(b"ENVELOPE")
    subject = getattr(envelope, "subject", None)
    return Skipped(uid, _internal(item), sender_address(envelope), decoded_text(subject) if subject is not None else None,
                   int(str(item.get(b"RFC822.SIZE") or 0)))


def _uid_set(uids: list[int]) -> str:
    """Compact "1:5,7,9:12" form of a sorted UID list."""
    out, start, prev = [], uids[0], uids[0]
    for u in uids[1:]:
        if u == prev + 1:
            prev = u
            continue
        out.append(f"{start}:{prev}" if start != prev else str(start))
        start = prev = u
    out.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(out)


def _quietly(fn) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(Exception):  # closing a broken connection
        fn()
