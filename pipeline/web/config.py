"""Web settings: environment variables (PIPELINE_WEB_*) with safe defaults for an internal tool."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"PIPELINE_WEB_{name}", default)


@dataclass(frozen=True)
class WebConfig:
    secret_key: str | None = None  # None: a random key kept in <data-dir>/web-secret-key
    cookie_secure: bool = False  # True behind the organisation's HTTPS proxy (production)
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12
    page_size: int = 50
    max_page: int = 200  # offset pagination is capped: past 10,000 rows, narrow the search instead

    @classmethod
    def from_env(cls) -> WebConfig:
        return cls(
            secret_key=os.environ.get("PIPELINE_WEB_SECRET_KEY") or None,
            cookie_secure=_env("COOKIE_SECURE", "0").lower() in ("1", "true", "yes"),
            max_failed_logins=int(_env("MAX_FAILED_LOGINS", "5")),
            lockout_minutes=int(_env("LOCKOUT_MINUTES", "15")),
            session_hours=int(_env("SESSION_HOURS", "12")),
        )


def secret_key_for(config: WebConfig, data_dir: Path) -> str:
    """The configured key, else one generated once and kept (mode 0600) so sessions survive restarts."""
    if config.secret_key:
        return config.secret_key
    path = data_dir / "web-secret-key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
