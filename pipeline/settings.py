"""Settings: environment variables (PIPELINE_*) with safe defaults; the CLI overrides a few."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one untrusted file."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_zip_members: int = 1000
    max_zip_uncompressed: int = 100 * 1024 * 1024
    max_zip_ratio: int = 200
    max_xml_part_bytes: int = 20 * 1024 * 1024
    max_docx_blocks: int = 20000  # paragraphs + table rows in a Word body (the form has about 60)
    max_pdf_pages: int = 30
    parse_seconds: float = 20.0
    parse_memory_mb: int = 1024
    max_nesting: int = 5  # zip in mail in zip ...
    # OCR of scans and photos (a page costs 1-3 s; the form's values are on its first page).
    ocr_dpi: int = 300  # pages are read at this resolution (150-dpi scans are scaled up to it)
    max_ocr_pages: int = 4  # pages read by OCR at most; the rest of a long scan is not looked at
    ocr_seconds: float = 60.0  # OCR of one file, in the killable child
    max_image_pixels: int = 50_000_000  # an image (or a rendered page) larger than this is refused


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"PIPELINE_{name}", default)


def _env_number(name: str, kind: type[int] | type[float], default: int | float | None) -> Any:
    raw = _env(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigError(f"PIPELINE_{name}={raw!r} is not a number") from exc
    if value < 0:
        raise ConfigError(f"PIPELINE_{name}={raw!r} must not be negative")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    default_region: str = "NO"
    check_deliverability: bool = False
    reply_from: str = "IMDi <post@imdi.no>"
    signature: str = "Med vennlig hilsen\nIMDi – Integrerings- og mangfoldsdirektoratet"
    # SMTP outbox: used when smtp_host is set, else replies go to <data-dir>/outbox as .eml files.
    smtp_host: str | None = None
    smtp_port: int | None = None  # default by security: 465 ssl, 587 starttls, 25 none
    smtp_security: str = "starttls"  # ssl | starttls | none
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)  # never in a log line or a traceback
    smtp_timeout: float = 30.0
    reply_max_per_hour: int = 10  # loop guard: automatic replies to one address per hour; more are held as drafts
    reminder_working_days: int = 3
    retention_days: int = 180  # raw mail and attachments of decided cases are purged after this

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pipeline.sqlite3').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, database_url: str | None = None) -> Settings:
        limits = Limits()
        overrides = {}
        for f in fields(Limits):
            raw = _env(f"LIMIT_{f.name.upper()}")
            if raw is not None:
                try:
                    overrides[f.name] = type(getattr(limits, f.name))(raw)
                except ValueError as exc:
                    raise ConfigError(f"PIPELINE_LIMIT_{f.name.upper()}={raw!r} is not a number") from exc
        limits = replace(limits, **overrides)
        return cls(
            data_dir=Path(data_dir or _env("DATA_DIR", "var") or "var"),
            database_url=database_url or _env("DATABASE_URL"),
            limits=limits,
            default_region=_env("DEFAULT_REGION", "NO") or "NO",
            check_deliverability=(_env("CHECK_DELIVERABILITY", "0") or "0").lower() in ("1", "true", "yes"),
            reply_from=_env("REPLY_FROM", cls.reply_from) or cls.reply_from,
            signature=_env("SIGNATURE", cls.signature) or cls.signature,
            smtp_host=_env("SMTP_HOST") or None,
            smtp_port=_env_number("SMTP_PORT", int, None),
            smtp_security=(_env("SMTP_SECURITY") or cls.smtp_security).strip().lower(),
            smtp_user=_env("SMTP_USER") or None,
            smtp_password=_env("SMTP_PASSWORD") or None,
            smtp_timeout=_env_number("SMTP_TIMEOUT", float, cls.smtp_timeout),
            reply_max_per_hour=_env_number("REPLY_MAX_PER_HOUR", int, cls.reply_max_per_hour),
            reminder_working_days=_env_number("REMINDER_WORKING_DAYS", int, cls.reminder_working_days),
            retention_days=_env_number("RETENTION_DAYS", int, cls.retention_days),
        )
