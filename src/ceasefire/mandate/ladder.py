"""Checks of the response section that need the rest of the mandate: whose
violations engage each line of defence, whether a line can ever engage, and
whether it could be engaged against its own holder.

``check_response`` raises through ``fail(field, message)`` (the loader's, which
adds the file and the YAML line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ceasefire.mandate.schema import SEVERITIES, UNDETERMINED, DefenceLine, MandateDoc
from ceasefire.model.errors import MandateError

Fail = Callable[[str, str], MandateError]

__all__ = ["check_response", "counted_by", "own_parties"]


def counted_by(d: DefenceLine, party_ids: Sequence[str]) -> list[str]:
    """Who the line's violations may come from: its ``by``, or every party (and
    ``undetermined`` for an unarmed line) when unset."""
    if d.trigger.by is not None:
        return list(d.trigger.by)
    return [*party_ids, *(() if d.armed else (UNDETERMINED,))]


def own_parties(d: DefenceLine, party_ids: Sequence[str]) -> set[str]:
    """The parties a line stands with: its holder when a party, and ``defends``."""
    own = {d.holder} & set(party_ids)
    if d.defends is not None:
        own.add(d.defends)
    return own


def check_response(doc: MandateDoc, fail: Fail) -> None:
    """Refuse a ladder that names unknown rules or parties, can never engage, or
    can engage a line against its own holder; and an ``intervene`` block that
    leaves a sector without a force."""
    party_ids = [p.id for p in doc.parties]
    rules = {r.id: r for r in doc.rules}
    ladder = doc.response.escalation
    for i, d in enumerate(ladder):
        at = f"response.escalation[{i}]"
        tr = d.trigger
        what = f"line {d.line} ({d.name})"
        for rid in tr.rules:
            if rid not in rules:
                raise fail(
                    f"{at}.trigger.rules", f"unknown rule {rid!r}; expected one of {sorted(rules)}"
                )
        if d.defends is not None and d.defends not in party_ids:
            raise fail(f"{at}.defends", f"unknown party {d.defends!r}; expected one of {party_ids}")
        if tr.by is not None:
            for pid in tr.by:
                if pid not in party_ids and pid != UNDETERMINED:
                    raise fail(
                        f"{at}.trigger.by",
                        f"unknown party {pid!r}; expected some of {[*party_ids, UNDETERMINED]}",
                    )
        elif d.armed:
            raise fail(
                f"{at}.trigger",
                f"{what} is armed: say whose violations engage it (e.g. by: "
                f"[{next((p for p in party_ids if p not in own_parties(d, party_ids)), 'X')}]); "
                "set armed: false for a body that only talks",
            )
        by = counted_by(d, party_ids)
        against_own = sorted(own_parties(d, party_ids) & set(by))
        if against_own:
            raise fail(
                f"{at}.trigger.by" if tr.by is not None else f"{at}.holder",
                f"{what} could be engaged against its own side: {', '.join(against_own)} "
                f"{'is' if len(against_own) == 1 else 'are'} among the parties whose "
                f"violations engage it ({by}); expected only the other parties",
            )
        threshold = doc.attribution.threshold
        if d.armed and tr.min_probability is not None and tr.min_probability < threshold:
            raise fail(
                f"{at}.trigger.min_probability",
                f"{tr.min_probability} is below the attribution threshold ({threshold}): "
                f"violations nobody could attribute would engage armed {what}; expected >= "
                f"{threshold} (list 'undetermined' in 'by' to count them explicitly)",
            )
        never = _never_engages(doc, d, by, i)
        if never is not None:
            field, why = never
            raise fail(f"{at}.{field}", f"{what} can never engage: {why}")
    _check_intervene(doc, fail)


def _never_engages(
    doc: MandateDoc, d: DefenceLine, by: list[str], i: int
) -> tuple[str, str] | None:
    """(field, reason) when nothing the mandate allows could engage ``d``."""
    tr = d.trigger
    named = [p for p in by if p != UNDETERMINED]
    if tr.kind == "crossing" and not named:
        return "trigger.by", "only marked objects of a named party cross the line"
    if tr.kind == "count":
        cand = [r for r in doc.rules if not tr.rules or r.id in tr.rules]
        if tr.min_severity is not None:
            least = SEVERITIES.index(tr.min_severity)
            cand = [r for r in cand if SEVERITIES.index(r.severity) >= least]
            if not cand:
                return (
                    "trigger.min_severity",
                    f"no rule it counts has severity {tr.min_severity} or more",
                )
        if UNDETERMINED not in by and all(
            r.parties and not set(r.parties) & set(named) for r in cand
        ):
            return "trigger.by", f"the rules it counts concern other parties than {by}"
    if tr.after_below_h is not None:
        if i == 0:
            return "trigger.after_below_h", "it waits for the line below, and it is the first"
        below = doc.response.escalation[i - 1]
        below_by = counted_by(below, [p.id for p in doc.parties])
        if not set(below_by) & set(by):
            return (
                "trigger.after_below_h",
                f"it waits for line {below.line} to be engaged for the same party, and "
                f"line {below.line} counts {below_by}, this one {by}",
            )
    return None


def _check_intervene(doc: MandateDoc, fail: Fail) -> None:
    iv = doc.response.intervene
    if iv is None:
        return
    sector_ids = [s.id for s in doc.sectors]
    for sid in iv.forces:
        if sid not in sector_ids:
            raise fail(
                "response.intervene.forces",
                f"unknown sector {sid!r}; expected one of {sector_ids}",
            )
    uncovered = [s for s in sector_ids if s not in iv.forces]
    if iv.default is None and (uncovered or not sector_ids):
        raise fail(
            "response.intervene",
            f"no force holds {', '.join(uncovered) if uncovered else 'the line (no sectors)'}: "
            "expected a force per sector in 'forces' or a 'default' force",
        )
