"""Containers that can hold a form: a .zip (bounded) and TNEF winmail.dat. Errors become FormErrors.

The zip guard checks the central directory (member count, declared sizes, ratio) before anything is
decompressed, and reads each member with a bounded read since declared sizes can lie. Members are
yielded one at a time, so that a caller that keeps only the forms holds one member in memory, not
the whole archive; what they unpack to and how many there are is charged to the mail's budget.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from pipeline.adapters.mail.budget import MessageBudget
from pipeline.errors import CorruptFile, EncryptedFile, FormError, LimitExceeded
from pipeline.settings import Limits

_RATIO_FLOOR = 1024 * 1024  # a small member cannot be a bomb whatever its ratio


def zip_members(data: bytes, limits: Limits, budget: MessageBudget | None = None) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each file in the zip, directories and macOS resource forks left out."""
    budget = budget or MessageBudget(limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFile(f"zip cannot be opened: {exc}") from exc
    if len(infos) > limits.max_zip_members:
        raise LimitExceeded(f"zip has {len(infos)} members (limit {limits.max_zip_members})")
    total = sum(max(i.file_size, 0) for i in infos)
    if total > limits.max_zip_uncompressed:
        raise LimitExceeded(f"zip declares {total} bytes uncompressed (limit {limits.max_zip_uncompressed})")
    budget.take_members(len(infos), "zip")
    left = limits.max_zip_uncompressed
    with zf:
        for info in infos:
            if info.is_dir() or info.filename.startswith("__MACOSX/") or info.filename.endswith(".DS_Store"):
                continue
            if info.flag_bits & 0x1:
                raise EncryptedFile(f"zip member {info.filename!r} is encrypted")
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
                raise LimitExceeded(f"zip member {info.filename!r} compresses {info.file_size}:{info.compress_size}")
            # The mail's budget caps the read too: a member never unpacks past what the mail has left.
            cap = min(left, limits.max_file_bytes, budget.bytes_left()) + 1
            try:
                with zf.open(info) as fh:
                    blob = fh.read(cap)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
                if "encrypted" in str(exc).lower() or "password" in str(exc).lower():
                    raise EncryptedFile(f"zip member {info.filename!r} is encrypted") from exc
                raise CorruptFile(f"zip member {info.filename!r} cannot be read: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - zlib.error and other decompressor failures
                raise CorruptFile(f"zip member {info.filename!r} cannot be read: {exc}") from exc
            budget.take_bytes(len(blob), f"zip member {info.filename!r}")
            if len(blob) >= cap:
                raise LimitExceeded(f"zip member {info.filename!r} is larger than it declares or the limit")
            left -= len(blob)
            yield info.filename.rsplit("/", 1)[-1], blob


def tnef_attachments(data: bytes, budget: MessageBudget | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each attachment inside a winmail.dat."""
    out = _tnef(data)
    if budget is not None:
        budget.take_members(len(out), "winmail.dat")
        budget.take_bytes(sum(len(blob) for _, blob in out), "winmail.dat")
    return out


def _tnef(data: bytes) -> list[tuple[str, bytes]]:
    try:
        import tnefparse

        tnef = tnefparse.TNEF(data)
        out = []
        for att in tnef.attachments:
            name = att.long_filename() or (att.name.decode("latin-1") if isinstance(att.name, bytes) else att.name)
            out.append((str(name or "attachment"), bytes(att.data or b"")))
        return out
    except FormError:
        raise
    except Exception as exc:  # noqa: BLE001 - tnefparse raises ValueError, struct.error, IndexError ...
        raise CorruptFile(f"winmail.dat cannot be read: {exc}") from exc
