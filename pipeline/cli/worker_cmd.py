"""`pipeline` sub-commands: worker (filled in by its issue)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    return None
