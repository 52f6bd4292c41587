"""What-if: the same day judged under two mandates, side by side: violations
and the ladder's engagements."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ceasefire.model import Escalation, Violation


@dataclass(frozen=True)
class Comparison:
    """Counts per (rule, party) under A and B, and the violations only one has
    (matched by the events they rest on and the rule)."""

    counts_a: dict[tuple[str, str], int]
    counts_b: dict[tuple[str, str], int]
    only_a: tuple[Violation, ...]
    only_b: tuple[Violation, ...]
    party_changed: tuple[tuple[Violation, Violation], ...]

    @property
    def rows(self) -> list[tuple[str, str, int, int]]:
        keys = sorted(set(self.counts_a) | set(self.counts_b))
        return [(r, p, self.counts_a.get((r, p), 0), self.counts_b.get((r, p), 0)) for r, p in keys]


def compare(a: Sequence[Violation], b: Sequence[Violation]) -> Comparison:
    """Compare violation sets ``a`` and ``b`` of the same events."""
    ka = {(v.rule, v.event_ids): v for v in a}
    kb = {(v.rule, v.event_ids): v for v in b}
    changed = tuple((ka[k], kb[k]) for k in sorted(set(ka) & set(kb)) if ka[k].party != kb[k].party)
    return Comparison(
        counts_a=dict(Counter((v.rule, v.party) for v in a)),
        counts_b=dict(Counter((v.rule, v.party) for v in b)),
        only_a=tuple(ka[k] for k in sorted(set(ka) - set(kb))),
        only_b=tuple(kb[k] for k in sorted(set(kb) - set(ka))),
        party_changed=changed,
    )


@dataclass(frozen=True)
class EngagementRow:
    """One (line, party, sector) and its engagements under A and B: how many
    times raised, and the first time (epoch s; None when never)."""

    line: int
    party: str | None
    sector: str | None
    raised_a: int
    raised_b: int
    first_a: float | None
    first_b: float | None


def compare_engagements(a: Sequence[Escalation], b: Sequence[Escalation]) -> list[EngagementRow]:
    """The engagements (``raised`` notices) of two ladders over the same day, side
    by side per line, party and sector, in line order."""

    def group(xs: Sequence[Escalation]) -> dict[tuple[int, str, str], list[float]]:
        out: dict[tuple[int, str, str], list[float]] = {}
        for x in xs:
            if x.state == "raised":
                out.setdefault((x.line, x.party or "", x.sector or ""), []).append(x.time_s)
        return out

    ga, gb = group(a), group(b)
    rows = []
    for key in sorted(set(ga) | set(gb)):
        ta, tb = sorted(ga.get(key, [])), sorted(gb.get(key, []))
        rows.append(
            EngagementRow(
                key[0],
                key[1] or None,
                key[2] or None,
                len(ta),
                len(tb),
                ta[0] if ta else None,
                tb[0] if tb else None,
            )
        )
    return rows
