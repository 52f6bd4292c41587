"""What-if: the same day judged under two mandates, side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ceasefire.model import Violation


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
