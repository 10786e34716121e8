"""The settings file both services read: /etc/imdi-pipeline/pipeline.env, in systemd's EnvironmentFile= format.

    read_env_file(path) -> {"PIPELINE_...": value, ...}

systemd's rules (systemd.exec(5), "EnvironmentFile="), so that `pipeline --env-file F` (or
PIPELINE_ENV_FILE=F) sees exactly what the units see: blank lines and lines starting with # or ; are
ignored; KEY=VALUE, with spaces around both trimmed; a value in double quotes keeps its spaces and takes
backslash escapes (\\" \\\\ \\n ...), one in single quotes is taken as written; a backslash at the end of a
line joins the next one. Nothing is expanded ($VAR stays as written). Where systemd would warn and skip a
line (no '=', a name that is not a variable name), this stops with the file and line, which is what an
operator wants to know before the service runs without the setting.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import ConfigError

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
