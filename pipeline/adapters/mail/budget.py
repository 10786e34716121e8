"""What one mail may cost as a whole, whatever each of its files' own limits allow.

    budget = MessageBudget(limits)       started when the mail's parse starts
    budget.take_bytes(n, what)           bytes unpacked from archives (zip, winmail.dat)
    budget.take_members(n, what)         files inside archives
    budget.take_part()                   MIME parts walked (False once over)
    budget.seconds_left()                wall-clock seconds left for reading its files (the PDF
                                         child's time is charged here: it is given at most this long)

Each `take_*` raises `OverBudget` (code limit.exceeded) when the mail's budget runs out; the first
reason is kept in `exceeded`, so that the message's outcome can say the mail, not one file, was too
much. A 150 KB zip of 99 members of 1 MiB of zeros passes every per-zip check; ten of them in one mail
do not pass this.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pipeline.errors import LimitExceeded
from pipeline.settings import Limits

OVER_BUDGET_NO = ("E-posten var for stor eller hadde for mange eller for store vedlegg til å behandles "
                  "automatisk. Send skjemaet alene, som Word-fil (.docx) eller PDF, i en ny e-post.")


class OverBudget(LimitExceeded):
    """The mail as a whole used up its budget (size, unpacked bytes, files, parts or time)."""

    message_no = OVER_BUDGET_NO


class MessageBudget:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.started = clock()
        self.unpacked = 0
        self.members = 0
        self.parts = 0
        self.exceeded: str | None = None  # the first reason the budget ran out

    # -- reading -------------------------------------------------------------------------------------
    def seconds_used(self) -> float:
        return self.clock() - self.started

    def seconds_left(self) -> float:
        return max(0.0, self.limits.message_seconds - self.seconds_used())

    def bytes_left(self) -> int:
        return max(0, self.limits.max_message_unpacked - self.unpacked)

    # -- charging ------------------------------------------------------------------------------------
    def over(self, reason: str) -> OverBudget:
        """The error for `reason`, remembered as the first reason if it is."""
        if self.exceeded is None:
            self.exceeded = reason
        return OverBudget(f"the mail is over its budget: {reason}")

    def take_bytes(self, n: int, what: str) -> None:
        self.unpacked += n
        if self.unpacked > self.limits.max_message_unpacked:
            raise self.over(f"{what}: archives unpack to more than {self.limits.max_message_unpacked} bytes")

    def take_members(self, n: int, what: str) -> None:
        self.members += n
        if self.members > self.limits.max_message_members:
            raise self.over(f"{what}: more than {self.limits.max_message_members} files in archives")

    def take_part(self) -> bool:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            self.over(f"more than {self.limits.max_parts} MIME parts")
            return False
        return True

    def check_time(self, what: str) -> None:
        if self.seconds_left() <= 0:
            raise self.over(f"{what}: reading took more than {self.limits.message_seconds:g} seconds")

    def check_size(self, size: int) -> None:
        if size > self.limits.max_message_bytes:
            raise self.over(f"the mail is {size} bytes (limit {self.limits.max_message_bytes})")
