"""Settings: one object, built once at an entry point and passed down.

    Settings.from_env(environ=os.environ, data_dir=..., database_url=...) -> Settings

Every setting is a dataclass field declared with `setting(default, "NAME", "meaning")`: that field is
the one table of settings. `from_env` reads `PIPELINE_<NAME>` for each, with one rule for all of them
(an empty value is the default; booleans are 1/true/yes/on or 0/false/no/off; a number that does not
parse, is below its minimum or a choice that is not offered is a `ConfigError` naming the variable).
`markdown_table()` prints the table that the README carries (a test keeps the two equal).

Nothing below the entry points (the CLI, `pipeline serve`, the worker) reads the environment; code
that is handed no settings uses `Settings()`, the documented defaults.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def setting(default: Any, env: str, help: str, *, kind: type | None = None, choices: tuple[str, ...] = (),
            minimum: float | None = 0, secret: bool = False, shown: str | None = None) -> Any:
    """A settings field read from PIPELINE_<env>. `kind` defaults to the default's type."""
    meta = {"env": env, "help": help, "kind": kind or type(default), "choices": choices, "minimum": minimum,
            "secret": secret, "shown": shown}
    return field(default=default, metadata=meta, repr=not secret)


def group(cls: type) -> Any:
    """A nested group of settings (limits, smtp, imap, worker, web)."""
    return field(default_factory=cls)


@dataclass(frozen=True)
class Limits:
    """Bounds on reading untrusted input."""

    max_file_bytes: int = setting(25 * 1024 * 1024, "LIMIT_MAX_FILE_BYTES", "largest attached file read (bytes)")
    max_zip_members: int = setting(1000, "LIMIT_MAX_ZIP_MEMBERS", "most files in one zip or Word package")
    max_zip_uncompressed: int = setting(100 * 1024 * 1024, "LIMIT_MAX_ZIP_UNCOMPRESSED",
                                        "most bytes one zip or Word package may unpack to")
    max_zip_ratio: int = setting(200, "LIMIT_MAX_ZIP_RATIO", "highest compression ratio of a zip member")
    max_xml_part_bytes: int = setting(20 * 1024 * 1024, "LIMIT_MAX_XML_PART_BYTES",
                                      "largest XML part of a Word file (bytes)")
    max_docx_blocks: int = setting(20000, "LIMIT_MAX_DOCX_BLOCKS",
                                   "most paragraphs and table rows in a Word body (the form has about 60)")
    max_pdf_pages: int = setting(30, "LIMIT_MAX_PDF_PAGES", "most PDF pages read")
    parse_seconds: float = setting(20.0, "LIMIT_PARSE_SECONDS", "seconds one PDF may take to read")
    parse_memory_mb: int = setting(1024, "LIMIT_PARSE_MEMORY_MB", "memory of the child process that reads PDFs (MiB)")
    max_nesting: int = setting(5, "LIMIT_MAX_NESTING", "deepest nesting of zip in mail in zip ...")
    # The budget of one mail as a whole (pipeline.adapters.mail.budget): whatever its files' own limits allow.
    max_message_bytes: int = setting(40 * 1024 * 1024, "LIMIT_MAX_MESSAGE_BYTES",
                                     "largest mail read (bytes); a larger one is recorded as limit.exceeded, unread")
    max_message_unpacked: int = setting(100 * 1024 * 1024, "LIMIT_MAX_MESSAGE_UNPACKED",
                                        "most bytes all the archives in one mail may unpack to")
    max_message_members: int = setting(1000, "LIMIT_MAX_MESSAGE_MEMBERS",
                                       "most files all the archives in one mail may hold")
    max_parts: int = setting(200, "LIMIT_MAX_PARTS", "most MIME parts read in one mail", minimum=1)
    message_seconds: float = setting(45.0, "LIMIT_MESSAGE_SECONDS",
                                     "seconds all the files of one mail may take to read (PDF child included)")
    # OCR of scans and photos (a page costs 1-3 s; the form's values are on its first page).
    ocr_dpi: int = setting(300, "LIMIT_OCR_DPI",
                           "finest resolution pages are read at by OCR (a page is read at its own resolution up "
                           "to this; coarser than 200 dpi is scaled up to 200)",
                           minimum=72)
    max_ocr_pages: int = setting(4, "LIMIT_MAX_OCR_PAGES", "most pages of a scan read by OCR")
    ocr_languages: str = setting("nor", "OCR_LANGUAGES",
                                 "Tesseract models a page is read with, joined by + (the address and name cells "
                                 "get a second pass with the Latin script model when it is installed)")
    ocr_models: str = setting("", "OCR_MODELS",
                              "folder of Tesseract's models (empty: the first of Debian's usual folders that has "
                              "nor.traineddata)")
    ocr_seconds: float = setting(60.0, "LIMIT_OCR_SECONDS", "seconds OCR of one file may take")
    max_image_pixels: int = setting(50_000_000, "LIMIT_MAX_IMAGE_PIXELS",
                                    "largest image (or rendered page) read, in pixels")


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP relay for replies; without a host, replies are written to the data folder's outbox/."""

    host: str | None = setting(None, "SMTP_HOST", "SMTP relay; unset: replies are written as .eml files to outbox/ in the data folder",
                               kind=str)
    port: int | None = setting(None, "SMTP_PORT", "relay port", kind=int, shown="465 ssl, 587 starttls, 25 none")
    security: str = setting("starttls", "SMTP_SECURITY", "ssl, starttls or none", choices=("ssl", "starttls", "none"))
    user: str | None = setting(None, "SMTP_USER", "login at the relay", kind=str)
    password: str | None = setting(None, "SMTP_PASSWORD", "password at the relay", kind=str, secret=True)
    timeout: float = setting(30.0, "SMTP_TIMEOUT", "socket timeout (seconds)")


@dataclass(frozen=True)
class ImapSettings:
    """The mailbox the worker reads with `--source imap`."""

    host: str | None = setting(None, "IMAP_HOST", "IMAP server (required for --source imap)", kind=str)
    port: int | None = setting(None, "IMAP_PORT", "IMAP port", kind=int, shown="993 for ssl, else 143")
    ssl_mode: str = setting("ssl", "IMAP_SSL", "ssl, starttls or plain (plain only to a server on loopback)",
                            choices=("ssl", "starttls", "plain"))
    user: str | None = setting(None, "IMAP_USER", "login (the mailbox, e.g. post@imdi.no)", kind=str)
    password: str | None = setting(None, "IMAP_PASSWORD", "password login", kind=str, secret=True)
    folder: str = setting("INBOX", "IMAP_FOLDER", "folder to read")
    ca_file: str | None = setting(None, "IMAP_CA_FILE", "an extra CA bundle to trust (an internal CA)", kind=str)
    oauth_tenant: str | None = setting(None, "IMAP_OAUTH_TENANT", "XOAUTH2: Microsoft Entra tenant id", kind=str)
    oauth_client_id: str | None = setting(None, "IMAP_OAUTH_CLIENT_ID", "XOAUTH2: the app's client id", kind=str)
    oauth_client_secret: str | None = setting(None, "IMAP_OAUTH_CLIENT_SECRET", "XOAUTH2: the app's client secret",
                                              kind=str, secret=True)
    oauth_scope: str = setting("https://outlook.office365.com/.default", "IMAP_OAUTH_SCOPE", "XOAUTH2 scope")
    oauth_token_command: str | None = setting(None, "IMAP_OAUTH_TOKEN_COMMAND",
                                              "XOAUTH2: a command that prints an access token", kind=str)
    keyword: str = setting("$IMDiSkjema", "IMAP_KEYWORD", "keyword set on mail the pipeline took")
    move_to: str | None = setting(None, "IMAP_MOVE_TO", "move taken mail to this folder instead of the keyword",
                                  kind=str)
    since_days: int = setting(30, "IMAP_SINCE_DAYS",
                              "first run: take mail from this many days back; older mail gets no automatic reply")
    idle: bool = setting(True, "IMAP_IDLE", "use IDLE where the server offers it (0: poll)")
    idle_renew_seconds: int = setting(540, "IMAP_IDLE_RENEW_SECONDS", "re-issue IDLE this often", minimum=1)
    poll_seconds: int = setting(60, "IMAP_POLL_SECONDS", "polling interval without IDLE", minimum=1)
    timeout: int = setting(60, "IMAP_TIMEOUT", "socket timeout (seconds)", minimum=1)

    @property
    def mailbox(self) -> str:
        """The key of this mailbox in MailboxState and on messages (user@host/folder)."""
        return f"{self.user}@{self.host}/{self.folder}"

    @property
    def uses_oauth(self) -> bool:
        return bool(self.oauth_token_command or self.oauth_client_id)

    def checked(self) -> ImapSettings:
        """These settings with the port filled in, or a ConfigError that says what is missing."""
        if not self.host:
            raise ConfigError("PIPELINE_IMAP_HOST is not set (the worker's IMAP source needs it)")
        if self.ssl_mode == "plain" and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError("PIPELINE_IMAP_SSL=plain is allowed only for a server on loopback")
        if not self.user:
            raise ConfigError("PIPELINE_IMAP_USER is not set")
        if not self.uses_oauth and self.password is None:
            raise ConfigError("set PIPELINE_IMAP_PASSWORD, or the PIPELINE_IMAP_OAUTH_* settings for XOAUTH2")
        return replace(self, port=self.port or (993 if self.ssl_mode == "ssl" else 143))


@dataclass(frozen=True)
class WorkerSettings:
    max_attempts: int = setting(3, "WORKER_MAX_ATTEMPTS", "tries before a message is parked as failed", minimum=1)
    poll_seconds: int = setting(10, "WORKER_POLL_SECONDS", "how often a folder source is looked at again", minimum=1)
    health_minutes: int = setting(30, "HEALTH_MINUTES",
                                  "no successful poll for this long is an error in the log and `pipeline status`")
    beat_seconds: int = setting(10, "WORKER_BEAT_SECONDS",
                                "how often a worker renews its lease (its heartbeat, which holds the mailbox "
                                "and the replies it sends)", minimum=1)
    lease_seconds: int = setting(40, "WORKER_LEASE_SECONDS",
                                 "a worker silent for this long has lost its mailbox and its replies: a standby "
                                 "takes them over", minimum=2)
    max_interruptions: int = setting(10, "WORKER_MAX_INTERRUPTIONS",
                                     "reads of one message ended by a worker's death (not counted as the mail's "
                                     "fault) before it is parked anyway", minimum=1)


@dataclass(frozen=True)
class WebSettings:
    secret_key: str | None = setting(None, "WEB_SECRET_KEY",
                                     "signs sessions; the same for all instances (unset: generated once in the data folder)",
                                     kind=str, secret=True)
    cookie_secure: bool = setting(True, "WEB_COOKIE_SECURE",
                                  "session cookie only over HTTPS, and HSTS (0 only for plain HTTP on loopback: "
                                  "tests, the demo)")
    trusted_proxies: str | None = setting(
        None, "WEB_TRUSTED_PROXIES", "addresses or networks of the HTTPS proxies in front (comma-separated, e.g. "
        "127.0.0.1): from them X-Forwarded-For names the client (unset: never read)", kind=str)
    max_failed_logins: int = setting(10, "WEB_MAX_FAILED_LOGINS",
                                     "failed logins for one account, from all clients within the lockout minutes, "
                                     "that lock it (more than one client can make)", minimum=2)
    lockout_minutes: int = setting(15, "WEB_LOCKOUT_MINUTES",
                                   "how long failed logins count, and how long a locked account stays locked",
                                   minimum=1)
    client_name_failed_logins: int = setting(3, "WEB_CLIENT_NAME_FAILED_LOGINS",
                                             "failed logins for one name from one client (address) within the "
                                             "lockout minutes before that client is refused that name (429)",
                                             minimum=1)
    client_failed_logins: int = setting(20, "WEB_CLIENT_FAILED_LOGINS",
                                        "failed logins for any names from one client within the lockout minutes "
                                        "before it is refused (429)", minimum=1)
    session_hours: int = setting(12, "WEB_SESSION_HOURS", "how long a login lasts", minimum=1)
    page_size: int = setting(50, "WEB_PAGE_SIZE", "rows per page in lists", minimum=1)
    max_page: int = setting(200, "WEB_MAX_PAGE", "deepest page of a list (narrow the search beyond it)", minimum=1)
    poll_seconds: int = setting(20, "WEB_POLL_SECONDS", "how often an open queue page asks for new counts", minimum=1)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(Path("var"), "DATA_DIR", "data folder: SQLite, outbox, web secret", kind=Path)
    database_url: str | None = setting(None, "DATABASE_URL", "SQLAlchemy URL (unset: SQLite in the data folder)",
                                       kind=str, secret=True)
    default_region: str = setting("NO", "DEFAULT_REGION", "country for phone numbers written without +")
    check_deliverability: bool = setting(False, "CHECK_DELIVERABILITY", "look e-mail domains up in DNS")
    db_busy_seconds: float = setting(30.0, "DB_BUSY_SECONDS",
                                     "how long a statement waits for another writer's lock before it gives up "
                                     "(the web then says 'prøv igjen om litt', 503)", kind=float)
    reply_from: str = setting("IMDi <post@imdi.no>", "REPLY_FROM", "From of the replies")
    signature: str = setting("Med vennlig hilsen\nIMDi – Integrerings- og mangfoldsdirektoratet", "SIGNATURE",
                             "signature under every reply (\\n for a line break)", shown="Med vennlig hilsen / IMDi – …")
    reply_max_per_hour: int = setting(10, "REPLY_MAX_PER_HOUR",
                                      "automatic replies to one address in an hour before they are held for a person")
    reply_max_per_domain_per_hour: int = setting(
        30, "REPLY_MAX_PER_DOMAIN_PER_HOUR", "automatic replies to one domain in an hour before they are held")
    reply_max_total_per_hour: int = setting(
        200, "REPLY_MAX_TOTAL_PER_HOUR", "automatic replies in all in an hour before they are held for a person")
    authserv_id: str | None = setting(
        None, "AUTHSERV_ID", "authserv-id of IMDi's receiving mail host: only its Authentication-Results verify "
        "a sender (unset: no sender is verified; none: the topmost header, which has no id, as Exchange Online "
        "writes it)", kind=str)
    reminder_working_days: int = setting(3, "REMINDER_WORKING_DAYS",
                                         "working days before an unanswered request gets one reminder")
    retention_days: int = setting(180, "RETENTION_DAYS", "raw mail and files of settled cases are purged after this")
    review_due_working_days: int = setting(10, "REVIEW_DUE_WORKING_DAYS",
                                           "working days a driftsoperatør has to answer an access review "
                                           "before one reminder and `overdue`", minimum=1)
    registry_grace_days: int = setting(14, "REGISTRY_GRACE_DAYS",
                                       "a complete import keeps users granted here this many days before "
                                       "IMDinett's export must list them")
    limits: Limits = group(Limits)
    smtp: SmtpSettings = group(SmtpSettings)
    imap: ImapSettings = group(ImapSettings)
    worker: WorkerSettings = group(WorkerSettings)
    web: WebSettings = group(WebSettings)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pipeline.sqlite3').resolve()}"

    @property
    def reply_domain(self) -> str:
        """The domain of our own Message-IDs (<reply-…@domain>): that of the replies' From."""
        from email.utils import parseaddr

        return parseaddr(self.reply_from)[1].rpartition("@")[2].lower() or "imdi.no"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, database_url: str | None = None, *,
                 environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from PIPELINE_* (os.environ unless `environ` is given); explicit arguments win."""
        env = os.environ if environ is None else environ
        built: Settings = _build(cls, env)
        if data_dir:
            built = replace(built, data_dir=Path(data_dir))
        if database_url:
            built = replace(built, database_url=database_url)
        return built


def _build(cls: type, env: Mapping[str, str]) -> Any:
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.default_factory is not MISSING and "env" not in f.metadata:
            values[f.name] = _build(f.default_factory, env)  # type: ignore[arg-type]
            continue
        raw = env.get(f"PIPELINE_{f.metadata['env']}")
        if raw is not None and raw.strip():
            values[f.name] = _parse(f.metadata, raw)
    return cls(**values)


def _parse(meta: Mapping[str, Any], raw: str) -> Any:
    name = f"PIPELINE_{meta['env']}"
    kind: type = meta["kind"]
    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(f"{name}={raw!r}: use 1/true/yes/on or 0/false/no/off")
    if kind in (int, float):
        try:
            number = kind(text)
        except ValueError as exc:
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{name}={raw!r} is not {what}") from exc
        if meta["minimum"] is not None and number < meta["minimum"]:
            raise ConfigError(f"{name}={raw!r} must be at least {meta['minimum']:g}")
        return number
    if meta["choices"]:
        choice = {"tls": "ssl"}.get(text.lower(), text.lower())
        if choice not in meta["choices"]:
            raise ConfigError(f"{name}={raw!r}: use {', '.join(meta['choices'])}")
        return choice
    if kind is Path:
        return Path(text)
    # Free text keeps its own spaces (a signature), with the two-character escape for a line break.
    return raw.replace("\\n", "\n") if "\\n" in raw else raw


@dataclass(frozen=True)
class Entry:
    """One row of the settings table."""

    variable: str
    default: str
    meaning: str
    path: str


def entries(cls: type = Settings, prefix: str = "") -> Iterator[Entry]:
    for f in fields(cls):
        if "env" not in f.metadata:
            yield from entries(f.default_factory, f"{prefix}{f.name}.")  # type: ignore[arg-type]
            continue
        meta = f.metadata
        default = meta["shown"] or _shown(f.default)
        yield Entry(f"PIPELINE_{meta['env']}", default, meta["help"], prefix + f.name)


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{e.variable}` | {e.default.replace('|', '/')} | {e.meaning} |" for e in entries()]
    return "\n".join(rows) + "\n"


def shown_values(settings: Settings) -> list[tuple[str, str]]:
    """(variable, value in force) for every setting, secrets masked: for `pipeline settings`."""
    out = []
    for entry in entries():
        value: Any = settings
        for part in entry.path.split("."):
            value = getattr(value, part)
        secret = _meta(entry.path)["secret"]
        out.append((entry.variable, "***" if secret and value else _shown(value)))
    return out


def _meta(path: str) -> Mapping[str, Any]:
    cls: Any = Settings
    *groups, last = path.split(".")
    for g in groups:
        cls = next(f for f in fields(cls) if f.name == g).default_factory
    return next(f for f in fields(cls) if f.name == last).metadata


__all__: list[str] = ["Entry", "ImapSettings", "Limits", "Settings", "SmtpSettings", "WebSettings",
                      "WorkerSettings", "entries", "markdown_table", "setting", "shown_values"]


if __name__ == "__main__":
    print(markdown_table(), end="")


# --- the env file: /etc/imdi-pipeline/pipeline.env, in systemd's EnvironmentFile= format ---------------------
#
# systemd's rules (systemd.exec(5), "EnvironmentFile="), so that `pipeline --env-file F` (or PIPELINE_ENV_FILE=F)
# sees exactly what the units see: blank lines and lines starting with # or ; are ignored; KEY=VALUE, with spaces
# around both trimmed; a value in double quotes keeps its spaces and takes backslash escapes, one in single quotes
# is taken as written; a backslash at the end of a line joins the next one. Nothing is expanded ($VAR stays as
# written). Where systemd would warn and skip a line (no '=', a name that is not a variable name), this stops
# with the file and line, which is what an operator wants to know before the service runs without the setting.

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "$": "$", "`": "`", "\n": ""}


def _unquote(value: str, where: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out, chars = [], iter(value[1:-1])
        for ch in chars:
            if ch == "\\":
                nxt = next(chars, "")
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
            else:
                out.append(ch)
        return "".join(out)
    if value[:1] in ("'", '"'):
        raise ConfigError(f"{where}: the value's quote is not closed")
    return value


def parse_env(text: str, name: str = "env file") -> dict[str, str]:
    values: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        start, line = i + 1, lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        while line.endswith("\\") and i < len(lines):  # a continued line
            line = line[:-1] + lines[i]
            i += 1
        key, sep, value = line.partition("=")
        key = key.strip()
        where = f"{name}:{start}"
        if not sep or not _NAME.fullmatch(key):
            raise ConfigError(f"{where}: not a KEY=VALUE line: {line.strip()[:60]!r}")
        values[key] = _unquote(value.strip(), where)
    return values


def read_env_file(path: str | Path) -> dict[str, str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the env file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the env file {path} is not UTF-8 text") from exc
    return parse_env(text, str(path))
