"""What the tests ask of processes they start or expect gone."""

from __future__ import annotations


def running(pid: int) -> bool:
    """The process exists and is not a zombie (a killed child not yet reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
