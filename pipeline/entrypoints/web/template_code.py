"""Compiled templates kept for the life of the process, shared by every app it makes.

Jinja compiles a template the first time an Environment loads it: tens of milliseconds for a page. A process
that makes more than one app (the tests make one per test; `create_app` after a settings change) compiled
every page again for each. The cache key is the template's name and its source's checksum, so a changed
template is compiled anew; all apps set the same options (`_set_up_templates`), which the compiled code
depends on.
"""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class SharedTemplateCode(BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


TEMPLATE_CODE = SharedTemplateCode()
