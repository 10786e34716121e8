"""The folder source: every .eml once per process, again when the file changes."""

from __future__ import annotations

import os

import pytest

from pipeline.adapters.mail.sources import DirSource
from pipeline.errors import SourceError

pytestmark = pytest.mark.pure


def _names(source: DirSource) -> list[str]:
    return [i.source.mailbox.rsplit("/", 1)[-1] for i in source.fetch_new()]


def test_a_long_running_worker_does_not_read_the_folder_again(tmp_path):
    (tmp_path / "b.eml").write_bytes(b"Subject: b\r\n\r\nb")
    (tmp_path / "a.eml").write_bytes(b"Subject: a\r\n\r\na")
    (tmp_path / "notes.txt").write_text("not mail")
    source = DirSource(tmp_path)
    assert _names(source) == ["a.eml", "b.eml"]
    assert _names(source) == []
    (tmp_path / "c.eml").write_bytes(b"Subject: c\r\n\r\nc")
    path = tmp_path / "a.eml"
    path.write_bytes(b"Subject: a2\r\n\r\nchanged")
    os.utime(path, ns=(1, 1))
    assert _names(source) == ["a.eml", "c.eml"]


def test_a_file_whose_processing_did_not_finish_comes_again(tmp_path):
    (tmp_path / "a.eml").write_bytes(b"Subject: a\r\n\r\na")
    source = DirSource(tmp_path)
    it = source.fetch_new()
    next(it)  # handed out, then the consumer fails before asking for the next one
    it.close()
    assert _names(source) == ["a.eml"]


def test_a_missing_folder_is_a_source_error(tmp_path):
    with pytest.raises(SourceError):
        list(DirSource(tmp_path / "nowhere").fetch_new())
