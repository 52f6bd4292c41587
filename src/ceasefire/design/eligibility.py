"""Who each party accepts, who all accept, and why the joint set is too small.

Conditions are evaluated per country in three values. A country is
*eligible* when every condition is definitely true, *excluded* when one is
definitely false, *undetermined* otherwise (a fact it rests on is unknown).
The explanation of an empty or insufficient joint set works on the definite
facts: its cores are the minimal sets of conditions under which no country
(or not enough pledged strength) remains, found by exhaustive search over
subsets (up to 16 conditions) or by deletion (one core) beyond that.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ceasefire.design.conditions import Condition, unknown_tests
from ceasefire.design.countries import Country, Value

MAX_EXHAUSTIVE = 16


@dataclass(frozen=True)
class Verdict:
    """One country under a set of conditions."""

    iso3: str
    status: str  # eligible | excluded | undetermined
    failed: tuple[str, ...] = ()  # condition texts definitely false
    unknown: tuple[str, ...] = ()  # condition texts unknown
    unknown_facts: tuple[str, ...] = ()  # attribute names that are unknown
    caveats: tuple[str, ...] = ()  # "attr: raw" of qualified facts used


@dataclass(frozen=True)
class Eligibility:
    """A party's (or all parties') verdicts over the candidate countries."""

    who: str
    conditions: tuple[Condition, ...]
    verdicts: tuple[Verdict, ...]

    def having(self, status: str) -> list[str]:
        return [v.iso3 for v in self.verdicts if v.status == status]

    @property
    def eligible(self) -> list[str]:
        return self.having("eligible")

    @property
    def undetermined(self) -> list[str]:
        return self.having("undetermined")

    @property
    def excluded(self) -> list[str]:
        return self.having("excluded")

    def to_dict(self) -> dict[str, object]:
        return {
            "who": self.who,
            "conditions": [c.text for c in self.conditions],
            "eligible": self.eligible,
            "undetermined": {
                v.iso3: {
                    "unknown_conditions": list(v.unknown),
                    "unknown_facts": list(v.unknown_facts),
                }
                for v in self.verdicts
                if v.status == "undetermined"
            },
            "excluded": {v.iso3: list(v.failed) for v in self.verdicts if v.status == "excluded"},
            "caveats": {
                v.iso3: list(v.caveats)
                for v in self.verdicts
                if v.status == "eligible" and v.caveats
            },
        }


def env_of(country: Country, facts: Mapping[str, bool | None]) -> dict[str, Value]:
    """The names a condition sees for ``country``: its attributes and the mission facts."""
    env: dict[str, Value] = dict(country.values)
    env.update(facts)
    return env


def judge(
    who: str,
    conditions: Sequence[Condition],
    countries: Mapping[str, Country],
    candidates: Sequence[str],
    facts: Mapping[str, bool | None],
) -> Eligibility:
    """Verdicts of ``conditions`` (all must hold) over ``candidates``."""
    out = []
    for iso in candidates:
        c = countries[iso]
        env = env_of(c, facts)
        failed, unknown, facts_unknown, cav = [], [], set(), set()
        for cond in conditions:
            v = cond.evaluate(env)
            if v is False:
                failed.append(cond.text)
            elif v is None:
                unknown.append(cond.text)
                facts_unknown |= set(unknown_tests(cond.node, env))
            for n in cond.node.names():
                if n in c.caveats:
                    cav.add(f"{n}: {c.caveats[n]}")
        status = "excluded" if failed else ("undetermined" if unknown else "eligible")
        out.append(
            Verdict(
                iso,
                status,
                tuple(failed),
                tuple(unknown),
                tuple(sorted(facts_unknown)),
                tuple(sorted(cav)),
            )
        )
    return Eligibility(who, tuple(conditions), tuple(out))


def truth_matrix(
    conditions: Sequence[Condition],
    countries: Mapping[str, Country],
    candidates: Sequence[str],
    facts: Mapping[str, bool | None],
) -> np.ndarray:
    """Boolean array [country, condition]: the condition is *definitely* true."""
    m = np.zeros((len(candidates), len(conditions)), dtype=bool)
    for i, iso in enumerate(candidates):
        env = env_of(countries[iso], facts)
        for j, cond in enumerate(conditions):
            m[i, j] = cond.evaluate(env) is True
    return m


# ------------------------------------------------------------------- cores


def minimal_cores(
    n: int, bad: Callable[[frozenset[int]], bool], limit: int = 20
) -> list[tuple[int, ...]]:
    """The minimal subsets S of range(n) with ``bad(S)``; ``bad`` must be monotone.

    Exhaustive by increasing size when ``n <= MAX_EXHAUSTIVE`` (supersets of
    found cores are skipped), else one core by deletion.
    """
    if not bad(frozenset(range(n))):
        return []
    if n > MAX_EXHAUSTIVE:
        core = set(range(n))
        for j in range(n):
            if bad(frozenset(core - {j})):
                core.discard(j)
        return [tuple(sorted(core))]
    found: list[frozenset[int]] = []
    for size in range(0, n + 1):
        for s in itertools.combinations(range(n), size):
            fs = frozenset(s)
            if any(f <= fs for f in found):
                continue
            if bad(fs):
                found.append(fs)
                if len(found) >= limit:
                    return [tuple(sorted(f)) for f in found]
    return [tuple(sorted(f)) for f in found]


@dataclass(frozen=True)
class Explanation:
    """Why the joint set is empty or cannot field the force."""

    problem: str  # "" (none) | empty | insufficient
    cores: tuple[tuple[Condition, ...], ...] = ()
    note: str = ""
    relaxations: tuple[Relaxation, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "problem": self.problem or None,
            "note": self.note,
            "cores": [[c.label for c in core] for core in self.cores],
            "relaxations": [r.to_dict() for r in self.relaxations],
        }


@dataclass(frozen=True)
class Relaxation:
    """Dropping one condition, and what it changes."""

    condition: Condition
    joint_eligible: int
    joint_undetermined: int
    added: tuple[str, ...]
    shortfall: float | None  # relative shortfall of the composition after dropping
    resolves: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "drop": self.condition.label,
            "source": self.condition.source,
            "reading": self.condition.reading or None,
            "joint_eligible": self.joint_eligible,
            "joint_undetermined": self.joint_undetermined,
            "added": list(self.added),
            "relative_shortfall": None if self.shortfall is None else round(self.shortfall, 6),
            "resolves": self.resolves,
        }


# ------------------------------------------------------------------- consistency


@dataclass(frozen=True)
class Flag:
    """A country a party named as acceptable that breaks the party's own condition."""

    party: str
    role: str
    country: str
    condition: str
    position: str
    reading: str
    status: str  # breaks | undetermined
    source: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.party, self.country, self.condition, self.status)

    def to_dict(self) -> dict[str, object]:
        return {
            "party": self.party,
            "role": self.role,
            "country": self.country,
            "condition": self.condition,
            "position": self.position,
            "reading": self.reading or None,
            "status": self.status,
            "named_in": self.source,
        }


def consistency(
    party: str,
    acceptances: Sequence[tuple[str, Sequence[str], str]],
    conditions: Sequence[tuple[Condition, tuple[str, ...]]],
    countries: Mapping[str, Country],
    facts: Mapping[str, bool | None],
) -> list[Flag]:
    """Check each (role, named countries, source) against the party's conditions on that role."""
    out = []
    for role, named, src in acceptances:
        for iso in named:
            env = env_of(countries[iso], facts)
            for cond, applies in conditions:
                if role not in applies:
                    continue
                v = cond.evaluate(env)
                if v is True:
                    continue
                out.append(
                    Flag(
                        party,
                        role,
                        iso,
                        cond.text,
                        cond.position,
                        cond.reading,
                        "breaks" if v is False else "undetermined",
                        src,
                    )
                )
    return out
