"""XOAUTH2 access tokens: app-only from Microsoft Entra (msal, client credentials), or a command's stdout.

msal is imported only when configured, so a password set-up does not need it installed.
"""

from __future__ import annotations

import shlex
import subprocess

from pipeline.errors import ConfigError, SourceError
from pipeline.settings import ImapSettings


def access_token(cfg: ImapSettings) -> str:
    if cfg.oauth_token_command:
        try:
            out = subprocess.run(shlex.split(cfg.oauth_token_command), capture_output=True, text=True,
                                 timeout=60, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SourceError(f"token command failed: {exc}") from exc
        token = out.stdout.strip()
        if not token:
            raise SourceError("token command printed nothing")
        return token
    if not (cfg.oauth_tenant and cfg.oauth_client_id and cfg.oauth_client_secret):
        raise ConfigError("XOAUTH2 needs PIPELINE_IMAP_OAUTH_TENANT, _CLIENT_ID and _CLIENT_SECRET")
    try:
        import msal
    except ImportError as exc:
        raise ConfigError("XOAUTH2 with client credentials needs the msal package: pip install 'imdi-pipeline[m365]'") from exc
    app = msal.ConfidentialClientApplication(
        cfg.oauth_client_id, authority=f"https://login.microsoftonline.com/{cfg.oauth_tenant}",
        client_credential=cfg.oauth_client_secret,
    )
    result = app.acquire_token_for_client(scopes=[cfg.oauth_scope])
    granted: str | None = result.get("access_token") if isinstance(result, dict) else None
    if not granted:
        detail = result.get("error_description") or result.get("error") if isinstance(result, dict) else result
        raise SourceError(f"no access token from Microsoft Entra: {detail}")
    return str(granted)
