"""Centres: each written name to one registry centre; closed, repeated, over-full or foreign centres."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.checks.findings import Finding, ResolvedCentre
from pipeline.checks.texts import finding, names_no
from pipeline.core.domain import ADMIN_LIMIT
from pipeline.forms.reading import fold
from pipeline.registry.lookup import RegistryLookup


@dataclass(frozen=True)
class Applicant:
    """Who the applicant is, to leave them out when counting a centre's administrators."""

    mobile: str | None = None
    email: str | None = None
    user_id: str | None = None  # the registry user they already are


def _label(c) -> str:  # type: ignore[no-untyped-def]
    return f"{c.name} ({c.mottaksnummer})"


def check_centres(view: RegistryLookup, written: list[str], *, operator_id: str | None,
                  applicant: Applicant, exclude_task_id: int | None = None
                  ) -> tuple[list[ResolvedCentre], list[Finding]]:
    resolved: list[ResolvedCentre] = []
    findings: list[Finding] = []
    seen: dict[str, str] = {}  # mottaksnummer -> as first written
    for index, raw in enumerate(written):
        text = fold(raw)
        if not text:
            continue
        res = view.resolve_centre(text)
        base = {"written": text, "index": index}
        if res.status == "unknown":
            # The asking operator's own centres first, then close names only; nothing when nothing is close.
            suggested = view.suggest_centres(text, operator_id)
            names = [c.name for c in suggested]
            hint = f" Mente du {names_no(names[:3])}?" if names else ""
            findings.append(finding("centre.unknown", "centres", {
                **base, "suggestions": [{"mottaksnummer": c.mottaksnummer, "name": c.name} for c in suggested]},
                written=text, hint=hint, nearest=", ".join(map(_label, suggested)) or "none"))
            resolved.append(ResolvedCentre(text, None, None))
            continue
        if res.status == "ambiguous":
            findings.append(finding("centre.ambiguous", "centres", {
                **base, "candidates": [{"mottaksnummer": c.mottaksnummer, "name": c.name} for c in res.candidates]},
                written=text, candidates=names_no([_label(c) for c in res.candidates]),
                candidates_en=", ".join(_label(c) for c in res.candidates)))
            resolved.append(ResolvedCentre(text, None, None))
            continue
        centre = res.centre
        assert centre is not None
        resolved.append(ResolvedCentre(text, centre.mottaksnummer, centre.name))
        params = {"name": centre.name, "number": centre.mottaksnummer, "written": text}
        details = {**base, "mottaksnummer": centre.mottaksnummer, "name": centre.name, "how": res.how,
                   "score": res.score}
        if centre.mottaksnummer in seen:
            findings.append(finding("centre.duplicate", "centres", {**details, "first": seen[centre.mottaksnummer]},
                                    **params))
            continue
        seen[centre.mottaksnummer] = text
        if not centre.active:
            findings.append(finding("centre.inactive", "centres", details, **params))
            continue
        if operator_id and centre.operator_id and centre.operator_id != operator_id:
            other = view.operator(centre.operator_id)
            findings.append(finding("centre.other_operator", "centres", {
                **details, "centre_operator_id": centre.operator_id, "operator_id": operator_id},
                centre_operator=f"{other.name if other else '?'} ({centre.operator_id})",
                operator=operator_id, **params))
        count = view.admin_count(centre.mottaksnummer, exclude_user_id=applicant.user_id,
                                 exclude_task_id=exclude_task_id, exclude_mobile=applicant.mobile,
                                 exclude_email=applicant.email)
        if count + 1 > ADMIN_LIMIT:
            findings.append(finding("centre.admin_limit", "centres", {**details, "count": count},
                                    count=count, after=count + 1, **params))
    return resolved, findings
