"""Why a sender was not verified, in the operator's words (pure).

The authentication check (pipeline.checks.authentication) writes its reasons in English for the log;
the case page and its history say the same in Norwegian, naming the domain that failed.
"""

from __future__ import annotations

import re
from typing import Any

_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^no sender address$", "e-posten hadde ingen avsenderadresse"),
    (r"^the mail has no usable From address$", "e-posten hadde ingen brukbar From-adresse"),
    (r"^From names (\d+) addresses$", r"From-feltet har \1 adresser"),
    (r"^no Authentication-Results from IMDi's receiving host$",
     "e-posten hadde ingen Authentication-Results fra IMDis e-posttjener, så avsenderen kunne ikke kontrolleres"),
    (r"^DMARC pass without header\.from$", "DMARC-resultatet manglet domenet det gjaldt"),
    (r"^DMARC pass is for (\S+), not (\S+)$", r"DMARC gjaldt \1, ikke avsenderens domene \2"),
    (r"^DMARC pass for (\S+)$", r"DMARC bestått for \1"),
    (r"^SPF pass for (\S+) \(no DMARC result\)$", r"SPF bestått for \1 (uten DMARC-resultat)"),
    (r"^DKIM pass for (\S+) \(no DMARC result\)$", r"DKIM bestått for \1 (uten DMARC-resultat)"),
    (r"^no DMARC, SPF or DKIM pass aligned with (\S+)$", r"verken DMARC, SPF eller DKIM bestått for \1"),
    (r"^no registry operator matches the form or the sender$",
     "ingen driftsoperatør i registeret passer med skjemaet eller avsenderen"),
    (r"^domain (\S+) is not (\S+)'s (\S+)$", r"domenet \1 er ikke driftsoperatørens (\3)"),
    (r"^not verified$", "ikke bekreftet"),
)
_RESULT = re.compile(r"^(DMARC|SPF|DKIM) ([a-z]+)$", re.IGNORECASE)
RESULTS = {"fail": "feilet", "none": "mangler", "softfail": "feilet (myk)", "neutral": "nøytral",
           "temperror": "midlertidig feil", "permerror": "feil i oppsettet", "policy": "stoppet av policy",
           "pass": "bestått"}


def reason_words(reason: str, domain: str | None = None) -> str:
    """One English reason from the check as Norwegian; "DMARC fail" names the domain when known."""
    text = reason.strip()
    parts = [p.strip() for p in text.split(",")] if "," in text and _RESULT.match(text.split(",")[0].strip()) \
        else [text]
    out = []
    for part in parts:
        match = _RESULT.match(part)
        if match:
            method, result = match.group(1).upper(), match.group(2).lower()
            where = f" for avsenderens domene {domain}" if domain and method == "DMARC" else ""
            out.append(f"{method} {RESULTS.get(result, result)}{where}")
            continue
        for pattern, words in _PATTERNS:
            if re.match(pattern, part):
                out.append(re.sub(pattern, words, part))
                break
        else:
            out.append(part)
    return ", ".join(out)


def domain_of(address: str | None) -> str | None:
    return address.rpartition("@")[2].lower() or None if address and "@" in address else None


def why_proposal(sender: str | None, case_sender: str | None, auth: dict[str, Any] | None) -> str:
    """Why an answer became a proposal instead of changing the case: another address, or its sender
    could not be verified (and why: DMARC failed for the domain, no Authentication-Results, ...)."""
    if sender and case_sender and sender.casefold() != case_sender.casefold():
        if auth and auth.get("verified"):
            return f"Svaret kom fra en annen adresse ({sender}) enn den som sendte saken ({case_sender})."
        reason = reason_words(str((auth or {}).get("reason") or "not verified"), domain_of(sender))
        return (f"Svaret kom fra en annen adresse ({sender}) enn den som sendte saken ({case_sender}), "
                f"og avsenderen er ikke bekreftet: {reason}.")
    if not auth or auth.get("reason") is None:
        return ("Avsenderen kunne ikke bekreftes: e-posten hadde ingen Authentication-Results fra IMDis "
                "e-posttjener.")
    return f"Avsenderen kunne ikke bekreftes: {reason_words(str(auth.get('reason')), domain_of(sender))}."
