"""From a parsed message to the forms in it (pure): read every candidate part, the body as a last
resort, drop a form attached twice, and say what each attachment was.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pipeline.adapters.mail.budget import MessageBudget
from pipeline.adapters.mail.parse import MailPart, ParsedMail
from pipeline.adapters.mail.timings import observe_reading
from pipeline.checks.findings import Finding
from pipeline.errors import FormError, LimitExceeded, NotAForm
from pipeline.forms import read_form
from pipeline.forms.reading import FormReading
from pipeline.settings import Limits

log = logging.getLogger(__name__)

FORM_IN_BODY = Finding(
    code="form.in_body", severity="error", field=None,
    message_no="Skjemaet ser ut til å være limt inn i selve e-posten. Legg ved det utfylte skjemaet som "
    "Word-fil (.docx) eller PDF, slik at vi kan behandle det.",
    message_en="the form's fields were pasted into the mail body instead of attaching the form",
)
FORM_DUPLICATE = Finding(
    code="form.duplicate", severity="warning", field=None,
    message_no="Det samme skjemaet var lagt ved flere ganger (for eksempel både som Word og PDF). "
    "Vi har behandlet det én gang.",
    message_en="the same form was attached more than once (e.g. as .docx and as .pdf): one task",
)
# Words that show a mail is about the form (for deciding whether a 'no form found' reply makes sense).
FORM_WORDS = ("skjema", "mottaksadministrat", "imdinett")


@dataclass
class PartResult:
    part: MailPart | None  # None: the form was read from the body
    code: str  # "read", or the error code
    error_message: str | None = None
    message_no: str | None = None
    reading: FormReading | None = None
    duplicate_of: int | None = None  # index into results of the same form read earlier


@dataclass
class Extracted:
    results: list[PartResult] = field(default_factory=list)
    body_form: bool = False

    @property
    def forms(self) -> list[tuple[PartResult, list[Finding]]]:
        """Each distinct form read, with the extra findings it carries."""
        out = []
        for i, r in enumerate(self.results):
            if r.reading is None or r.duplicate_of is not None:
                continue
            extra = []
            if r.part is None:
                extra.append(FORM_IN_BODY)
            if any(o.duplicate_of == i for o in self.results):
                extra.append(FORM_DUPLICATE)
            out.append((r, extra))
        return out

    @property
    def unreadable(self) -> list[PartResult]:
        """Attachments that looked like the form but could not be read."""
        return [r for r in self.results if r.reading is None and r.part is not None
                and (r.part.candidate or r.part.error is not None) and r.code != NotAForm.code]


def normalised(reading: FormReading) -> str:
    """The reading's values without where they came from: equal for the same form in two formats."""
    data: dict[str, Any] = reading.to_json()
    data.pop("source", None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False).casefold()


def extract_forms(parsed: ParsedMail, limits: Limits, budget: MessageBudget | None = None,
                  domains: tuple[str, ...] = ()) -> Extracted:
    """Every part's result; the forms are read under the mail's budget (a PDF gets at most the
    seconds the mail has left, and once they are used up the rest are not read). `domains`: those the
    verified sender's driftsoperatør is known by in the registry (pipeline.queries.senders.known_domains)."""
    budget = budget or MessageBudget(limits)
    out = Extracted()
    # The verified sender's domain is one the driftsoperatør is known by: OCR rebuilds an address
    # it read a letter off that domain (and marks it unsure for the confirming operator).
    own = (parsed.sender.rpartition("@")[2].lower(),) if parsed.verified and parsed.sender else ()
    domains = tuple(dict.fromkeys(own + domains))
    seen: dict[str, int] = {}
    for part in parsed.parts:
        if part.error is not None:
            out.results.append(PartResult(part, part.error.code, part.error.message, part.error.message_no))
            continue
        if not part.candidate:
            out.results.append(PartResult(part, NotAForm.code, "not a document that can hold the form"))
            continue
        try:
            budget.check_time(part.filename or "an attachment")
            left = budget.seconds_left()
            started, method = time.monotonic(), None
            try:
                reading = read_form(part.data, part.filename, limits, seconds=left, domains=domains)
                method = reading.method
            except LimitExceeded as exc:
                if left < limits.parse_seconds and budget.seconds_left() <= 0:
                    # Stopped by what the mail had left, not by this file's own limit.
                    raise budget.over(f"{part.filename or 'an attachment'}: the mail's reading time ran out") \
                        from exc
                raise
            finally:
                observe_reading(time.monotonic() - started, method)
        except FormError as exc:
            out.results.append(PartResult(part, exc.code, exc.message, exc.message_no))
            continue
        key = normalised(reading)
        result = PartResult(part, "read", reading=reading, duplicate_of=seen.get(key))
        seen.setdefault(key, len(out.results))
        out.results.append(result)
    if not any(r.reading is not None for r in out.results):
        body_reading = _body_form(parsed)
        if body_reading is not None:
            out.body_form = True
            out.results.append(PartResult(None, "read", reading=body_reading))
    return out


_WARNED = False


def _body_form(parsed: ParsedMail) -> FormReading | None:
    try:
        from pipeline.forms.text_reader import read_text_form
    except ImportError:  # the text reader has not landed: no body forms yet
        global _WARNED
        if not _WARNED:
            log.warning("pipeline.forms.text_reader is missing: forms pasted into the body are not read")
            _WARNED = True
        return None
    for text in [parsed.body_text, *parsed.forwarded_text]:
        if not text or not text.strip():
            continue
        try:
            reading = read_text_form(text)
        except FormError:
            reading = None
        if reading is not None:
            return reading
    return None


def mentions_form(parsed: ParsedMail) -> bool:
    text = " ".join([parsed.subject or "", parsed.body_text[:4000]]).casefold()
    return any(word in text for word in FORM_WORDS)
