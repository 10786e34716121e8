"""Mail settings from the environment (PIPELINE_IMAP_*, PIPELINE_WORKER_*, PIPELINE_HEALTH_MINUTES).

    PIPELINE_IMAP_HOST, PIPELINE_IMAP_PORT        server (port default: 993 for ssl, else 143)
    PIPELINE_IMAP_SSL                             ssl (default) | starttls | plain (plain: loopback only)
    PIPELINE_IMAP_USER, PIPELINE_IMAP_PASSWORD    password login
    PIPELINE_IMAP_FOLDER                          default INBOX
    PIPELINE_IMAP_CA_FILE                         trust this CA bundle too (an internal CA)
    PIPELINE_IMAP_OAUTH_TENANT, _CLIENT_ID, _CLIENT_SECRET, _SCOPE
                                                  XOAUTH2 with an app-only token from Microsoft Entra (msal)
    PIPELINE_IMAP_OAUTH_TOKEN_COMMAND             XOAUTH2 with a token printed by this command
    PIPELINE_IMAP_KEYWORD                         keyword set on taken mail (default $IMDiSkjema)
    PIPELINE_IMAP_MOVE_TO                         move taken mail to this folder instead of the keyword
    PIPELINE_IMAP_SINCE_DAYS                      first run: INTERNALDATE within this many days (30)
    PIPELINE_IMAP_IDLE                            1 (default) to IDLE when offered, 0 to poll
    PIPELINE_IMAP_IDLE_RENEW_SECONDS              re-issue IDLE this often (540)
    PIPELINE_IMAP_POLL_SECONDS                    polling interval without IDLE (60)
    PIPELINE_IMAP_TIMEOUT                         socket timeout in seconds (60)
    PIPELINE_WORKER_MAX_ATTEMPTS                  tries before a message is parked as failed (3)
    PIPELINE_HEALTH_MINUTES                       no successful poll for this long is an error (30)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pipeline.errors import ConfigError


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"PIPELINE_{name}")
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"PIPELINE_{name}={raw!r} is not a whole number") from exc


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    ssl_mode: str = "ssl"  # ssl | starttls | plain
    user: str = ""
    password: str | None = None
    folder: str = "INBOX"
    oauth_tenant: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_scope: str = "https://outlook.office365.com/.default"
    oauth_token_command: str | None = None
    keyword: str = "$IMDiSkjema"
    move_to: str | None = None
    since_days: int = 30
    idle: bool = True
    idle_renew_seconds: int = 540
    poll_seconds: int = 60
    timeout: int = 60
    ca_file: str | None = None

    @property
    def mailbox(self) -> str:
        """The key of this mailbox in MailboxState and on messages (user@host/folder)."""
        return f"{self.user}@{self.host}/{self.folder}"

    @property
    def uses_oauth(self) -> bool:
        return bool(self.oauth_token_command or self.oauth_client_id)

    @classmethod
    def from_env(cls) -> ImapConfig:
        host = _env("IMAP_HOST")
        if not host:
            raise ConfigError("PIPELINE_IMAP_HOST is not set (the worker's IMAP source needs it)")
        ssl_mode = (_env("IMAP_SSL", "ssl") or "ssl").lower()
        if ssl_mode in ("1", "true", "yes", "tls"):
            ssl_mode = "ssl"
        if ssl_mode in ("0", "false", "no", "none"):
            ssl_mode = "plain"
        if ssl_mode not in ("ssl", "starttls", "plain"):
            raise ConfigError(f"PIPELINE_IMAP_SSL={ssl_mode!r}: use ssl, starttls or plain")
        if ssl_mode == "plain" and host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError("PIPELINE_IMAP_SSL=plain is allowed only for a server on loopback")
        cfg = cls(
            host=host,
            port=_int("IMAP_PORT", 993 if ssl_mode == "ssl" else 143),
            ssl_mode=ssl_mode,
            user=_env("IMAP_USER", "") or "",
            password=_env("IMAP_PASSWORD"),
            folder=_env("IMAP_FOLDER", "INBOX") or "INBOX",
            oauth_tenant=_env("IMAP_OAUTH_TENANT"),
            oauth_client_id=_env("IMAP_OAUTH_CLIENT_ID"),
            oauth_client_secret=_env("IMAP_OAUTH_CLIENT_SECRET"),
            oauth_scope=_env("IMAP_OAUTH_SCOPE", cls.oauth_scope) or cls.oauth_scope,
            oauth_token_command=_env("IMAP_OAUTH_TOKEN_COMMAND"),
            keyword=_env("IMAP_KEYWORD", cls.keyword) or cls.keyword,
            move_to=_env("IMAP_MOVE_TO"),
            since_days=_int("IMAP_SINCE_DAYS", 30),
            idle=_bool("IMAP_IDLE", True),
            idle_renew_seconds=_int("IMAP_IDLE_RENEW_SECONDS", 540),
            poll_seconds=_int("IMAP_POLL_SECONDS", 60),
            timeout=_int("IMAP_TIMEOUT", 60),
            ca_file=_env("IMAP_CA_FILE"),
        )
        if not cfg.user:
            raise ConfigError("PIPELINE_IMAP_USER is not set")
        if not cfg.uses_oauth and cfg.password is None:
            raise ConfigError("set PIPELINE_IMAP_PASSWORD, or the PIPELINE_IMAP_OAUTH_* settings for XOAUTH2")
        return cfg


def reply_window_days() -> int:
    """Mail received longer ago than this (the first run's window) gets no automatic reply."""
    return _int("IMAP_SINCE_DAYS", 30)


@dataclass(frozen=True)
class WorkerConfig:
    max_attempts: int = 3
    health_minutes: int = 30
    poll_seconds: int = 10  # a folder source (no IDLE): how often the loop looks again

    @classmethod
    def from_env(cls) -> WorkerConfig:
        return cls(max_attempts=max(1, _int("WORKER_MAX_ATTEMPTS", 3)),
                   health_minutes=_int("HEALTH_MINUTES", 30),
                   poll_seconds=max(1, _int("WORKER_POLL_SECONDS", 10)))
