"""The pipeline's own exceptions, one hierarchy, each with a stable code.

    PipelineError                      code
    ├── FormError                      (reading one attachment)
    │   ├── UnreadableError
    │   │   ├── CorruptFile            unreadable.corrupt
    │   │   ├── EncryptedFile          unreadable.encrypted
    │   │   └── ScannedFile            unreadable.scanned
    │   ├── UnsupportedFormat          unsupported.format
    │   ├── NotAForm                   not_a_form
    │   └── LimitExceeded              limit.exceeded
    ├── MailError                      mail.*    (MIME, sources, outbox)
    │   ├── SourceError                mail.source
    │   └── OutboxError                mail.outbox
    ├── DatabaseError                  db.url, db.driver, db.unreachable, db.error
    │   ├── DiskFull                   db.disk_full  (its disk is full)
    │   └── DatabaseBusy               db.busy       (locked by another writer: try again)
    ├── RegistryImportError            registry.invalid
    ├── RegistryChangeError            registry.*  (a grant or removal the registry cannot take)
    ├── IllegalTransition              task.illegal_transition
    └── ConfigError                    config.invalid

Adapters translate library exceptions (BadZipFile, XMLSyntaxError, PdfminerException,
IMAP aborts, ...) into these at the edge, so nothing above them sees a library's exception.
Each error carries `message` (English, for logs) and `message_no` (Norwegian bokmål, fit for
a reply to the sender) where the sender can act on it.
"""

from __future__ import annotations


class PipelineError(Exception):
    code = "pipeline.error"
    message_no = "Det oppstod en feil under behandlingen."

    def __init__(self, message: str, *, message_no: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if message_no is not None:
            self.message_no = message_no
        if code is not None:
            self.code = code

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class FormError(PipelineError):
    code = "unreadable"
    message_no = "Vedlegget kunne ikke leses."


class UnreadableError(FormError):
    code = "unreadable"


class CorruptFile(UnreadableError):
    code = "unreadable.corrupt"
    message_no = (
        "Vedlegget er skadet og kunne ikke åpnes. Send skjemaet på nytt som Word-fil (.docx) eller PDF."
    )


class EncryptedFile(UnreadableError):
    code = "unreadable.encrypted"
    message_no = (
        "Vedlegget er passordbeskyttet og kunne ikke åpnes. Send skjemaet på nytt uten passord, "
        "helst som Word-fil (.docx)."
    )


class ScannedFile(UnreadableError):
    code = "unreadable.scanned"
    message_no = (
        "Vedlegget ser ut til å være et skannet bilde uten tekst, så vi kan ikke lese feltene. "
        "Send det utfylte skjemaet som Word-fil (.docx)."
    )


class UnsupportedFormat(FormError):
    code = "unsupported.format"
    message_no = (
        "Filformatet støttes ikke. Send skjemaet som Word-fil (.docx) eller PDF."
    )


class NotAForm(FormError):
    code = "not_a_form"
    message_no = (
        "Vedlegget er ikke skjemaet «Skjema om mottaksadministrativ bruker i IMDinett mottak»."
    )


class LimitExceeded(FormError):
    code = "limit.exceeded"
    message_no = (
        "Vedlegget er for stort eller for komplisert til å behandles automatisk. "
        "Send skjemaet som en vanlig Word-fil (.docx)."
    )


class MailError(PipelineError):
    code = "mail.error"


class SourceError(MailError):
    code = "mail.source"


class OutboxError(MailError):
    code = "mail.outbox"


class DatabaseError(PipelineError):
    code = "db.error"
    message_no = "Databasen svarer ikke. Prøv igjen om litt, eller meld fra til IMDi-støtte."


class DiskFull(DatabaseError):
    """The database cannot write: its disk is full (named as such, not as an unreachable database)."""

    code = "db.disk_full"
    message_no = "Disken med databasen er full. Frigjør plass på disken; arbeidet fortsetter av seg selv."


class DatabaseBusy(DatabaseError):
    """The database is locked by another writer for longer than we wait (SQLite's 'database is locked',
    PostgreSQL's lock_timeout): nothing is wrong, try again in a moment."""

    code = "db.busy"
    message_no = "Databasen er opptatt akkurat nå. Prøv igjen om litt."


class RegistryImportError(PipelineError):
    code = "registry.invalid"


class RegistryChangeError(PipelineError):
    """A grant or a removal that the registry cannot take as asked (a missing or taken user id, a mobile
    held by another active user, a role the user does not hold); the code says which."""

    code = "registry.conflict"
    message_no = "Registeret kan ikke endres slik."


class IllegalTransition(PipelineError):
    code = "task.illegal_transition"


class ConfigError(PipelineError):
    code = "config.invalid"
