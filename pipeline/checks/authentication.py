"""Is the sender who the From address says? Authentication-Results (RFC 8601) read by one rule (pure).

    trusted_results(values, authserv_id) -> AuthResults | None   the header IMDi's receiving host added
    verify(results, sender) -> Verdict                           verified or not, and why

Anyone upstream can add an Authentication-Results header, so only one counts: the topmost header
whose authserv-id is IMDi's own receiving host (`Settings.authserv_id`; RFC 8601 §5 has that host
remove or rename incoming headers carrying its id, and it adds its own on top). Exchange Online writes
its header without an authserv-id: the setting's value `none` means "the topmost header, and only if
it has no authserv-id". Without the setting nothing is trusted and every sender is unverified.

The rule (`verify`): the sender is verified only when
  1. the From header names exactly one address, and the sender is that address; and
  2. the trusted header's DMARC result is `pass` and its `header.from` is the From address's domain; or,
     where that header has no DMARC result at all, SPF passed for `smtp.mailfrom` or DKIM passed for
     `header.d` aligned with the From address's domain (the same domain, or one a subdomain of the other).
A DMARC result other than pass (fail, none, temperror, ...) is never outweighed by SPF or DKIM.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

NO_AUTHSERV_ID = "none"  # the setting's value for a receiving host that writes no authserv-id
# For `pipeline check FILE --sender ADDR`: there is no mail, so the authentication is not judged (only
# the sender's domain against the operator's). Anything else without a verdict is unverified.
NOT_JUDGED: dict[str, Any] = {"judged": False}

_METHOD = re.compile(r"^\s*([a-z0-9-]+)(?:\s*/\s*\d+)?\s*=\s*([a-z0-9-]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(smtp|header|body|policy)\.([a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)


@dataclass(frozen=True)
class AuthResults:
    """The verdicts of one Authentication-Results header, and the identities they are about."""

    authserv_id: str | None
    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None
    header_from: str | None = None  # dmarc's header.from: the From domain the receiving host judged
    smtp_mailfrom: str | None = None  # spf's smtp.mailfrom (its domain)
    dkim_domains: tuple[str, ...] = ()  # header.d of each DKIM signature that passed


@dataclass(frozen=True)
class Verdict:
    verified: bool
    reason: str  # English, for the log and the operator: why (not) verified
    rule: str | None = None  # "dmarc", "spf-aligned" or "dkim-aligned" when verified
    results: AuthResults | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """What the message stores (`Message.auth_results`): the verdicts and this verdict."""
        out: dict[str, Any] = dict(asdict(self.results)) if self.results else {}
        out["dkim_domains"] = list(out.get("dkim_domains") or [])
        out.update(verified=self.verified, reason=self.reason, rule=self.rule)
        return out


def _strip_comments(text: str) -> str:
    """RFC 5322 comments (nested parentheses) out, quoted strings kept."""
    out, depth, quoted = [], 0, False
    for ch in text:
        if ch == '"' and depth == 0:
            quoted = not quoted
        if not quoted and ch == "(":
            depth += 1
            continue
        if not quoted and ch == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _domain(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip('"').strip("<>").rstrip(".").lower()
    if "@" in value:
        value = value.rpartition("@")[2]
    return _ascii_domain(value) or None


def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii").lower() if not domain.isascii() else domain.lower()
    except UnicodeError:
        return domain.lower()


def parse_results(value: str) -> AuthResults:
    """One Authentication-Results header value. Without an authserv-id (Exchange Online), the first
    part is already a result."""
    parts = [p.strip() for p in _strip_comments(" ".join(value.split())).split(";")]
    authserv_id: str | None = None
    if parts and not _METHOD.match(parts[0]):
        authserv_id = (parts[0].split() or [""])[0].lower() or None
        parts = parts[1:]
    found: dict[str, Any] = {"spf": None, "dkim": None, "dmarc": None, "header_from": None,
                             "smtp_mailfrom": None}
    dkim_domains: list[str] = []
    dkim_results: list[str] = []
    for part in parts:
        m = _METHOD.match(part)
        if not m:
            continue
        method, result = m.group(1).lower(), m.group(2).lower()
        props = {f"{p.lower()}.{n.lower()}": v for p, n, v in _PROPERTY.findall(part[m.end():])}
        if method == "dmarc" and found["dmarc"] is None:
            found["dmarc"] = result
            found["header_from"] = _domain(props.get("header.from"))
        elif method == "spf" and found["spf"] is None:
            found["spf"] = result
            found["smtp_mailfrom"] = _domain(props.get("smtp.mailfrom") or props.get("smtp.helo"))
        elif method == "dkim":
            dkim_results.append(result)
            if result == "pass" and _domain(props.get("header.d")):
                dkim_domains.append(_domain(props.get("header.d")) or "")
    if dkim_results:
        # One good signature is enough for DKIM; the summary says pass when any passed.
        found["dkim"] = "pass" if "pass" in dkim_results else dkim_results[0]
    return AuthResults(authserv_id, dkim_domains=tuple(dkim_domains), **found)


def trusted_results(values: list[str], authserv_id: str | None) -> AuthResults | None:
    """The Authentication-Results that IMDi's receiving host added (headers in message order, topmost
    first), or None when there is none or no authserv-id is configured."""
    wanted = (authserv_id or "").strip().lower()
    if not wanted:
        return None
    for value in values:
        results = parse_results(value)
        if wanted == NO_AUTHSERV_ID:
            # Only the topmost header can be the receiving host's own; one with an id is someone else's.
            return results if results.authserv_id is None else None
        if results.authserv_id == wanted:
            return results
    return None


def _aligned(domain: str | None, from_domain: str) -> bool:
    """Relaxed alignment, approximated without a public-suffix list: the same domain, or one a
    subdomain of the other (bounce.fjellbu.no and fjellbu.no), never a bare top-level domain."""
    if not domain:
        return False
    if domain == from_domain:
        return True
    parent, child = (domain, from_domain) if len(domain) < len(from_domain) else (from_domain, domain)
    return parent.count(".") >= 1 and child.endswith("." + parent)


def verify(results: AuthResults | None, sender: str | None, *, from_count: int = 1,
           from_header: bool = True) -> Verdict:
    """The verdict on `sender` (the From address as parsed) given the trusted results; see the module."""
    if not sender or "@" not in sender:
        return Verdict(False, "no sender address", results=results)
    if not from_header:
        return Verdict(False, "the mail has no usable From address", results=results)
    if from_count != 1:
        return Verdict(False, f"From names {from_count} addresses", results=results)
    if results is None:
        return Verdict(False, "no Authentication-Results from IMDi's receiving host", results=None)
    from_domain = _ascii_domain(sender.rpartition("@")[2].rstrip("."))
    if results.dmarc is not None:
        if results.dmarc != "pass":
            return Verdict(False, f"DMARC {results.dmarc}", results=results)
        if results.header_from is None:
            return Verdict(False, "DMARC pass without header.from", results=results)
        if results.header_from != from_domain:
            return Verdict(False, f"DMARC pass is for {results.header_from}, not {from_domain}", results=results)
        return Verdict(True, f"DMARC pass for {from_domain}", "dmarc", results)
    if results.spf == "pass" and _aligned(results.smtp_mailfrom, from_domain):
        return Verdict(True, f"SPF pass for {results.smtp_mailfrom} (no DMARC result)", "spf-aligned", results)
    aligned = [d for d in results.dkim_domains if _aligned(d, from_domain)]
    if aligned:
        return Verdict(True, f"DKIM pass for {aligned[0]} (no DMARC result)", "dkim-aligned", results)
    failed = [f"{k.upper()} {v}" for k, v in (("spf", results.spf), ("dkim", results.dkim)) if v and v != "pass"]
    return Verdict(False, ", ".join(failed) or f"no DMARC, SPF or DKIM pass aligned with {from_domain}",
                   results=results)


def stored_verdict(auth: dict[str, Any] | None, sender: str | None) -> Verdict:
    """The verdict from what a message stores: this module's JSON, or the older {spf, dkim, dmarc}
    without identities (judged by the same rule, so it cannot verify: no header.from)."""
    if not auth:
        return verify(None, sender)
    if "verified" in auth:
        return Verdict(bool(auth["verified"]), str(auth.get("reason") or ""), auth.get("rule"))
    results = AuthResults(auth.get("authserv_id"), spf=_flat(auth.get("spf")), dkim=_flat(auth.get("dkim")),
                          dmarc=_flat(auth.get("dmarc")), header_from=_domain(auth.get("header_from")))
    return verify(results, sender)


def _flat(value: Any) -> str | None:
    """A verdict given as a string, a {"result": ...} dict or a list of either (the first failure wins)."""
    if isinstance(value, dict):
        value = value.get("result") or value.get("verdict")
    if isinstance(value, list | tuple):
        flat = [_flat(v) for v in value]
        return next((v for v in flat if v and v != "pass"), flat[0] if flat else None)
    return str(value).strip().lower() if value else None
