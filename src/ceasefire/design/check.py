"""``design check``: the Council, eligibility, the joint set, consistency and the force.

Every combination of readings (one reading per position that has
alternatives) is evaluated on its own; :attr:`CheckReport.conclusions` then
says which statements hold under all combinations and which under some.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ceasefire.design.composition import (
    KINDS,
    Composition,
    Offer,
    Problem,
    capacity_met,
    compose,
    diagnose,
)
from ceasefire.design.conditions import Condition
from ceasefire.design.council import Analysis, analyze
from ceasefire.design.countries import DATA_AS_OF, load_sources
from ceasefire.design.designfile import Design, PartyPosition, PledgeIn
from ceasefire.design.eligibility import (
    Eligibility,
    Explanation,
    Flag,
    Relaxation,
    consistency,
    env_of,
    judge,
    minimal_cores,
    truth_matrix,
)


@dataclass(frozen=True)
class Choice:
    party: str
    position: str
    reading: str
    source: str


@dataclass(frozen=True)
class Combination:
    label: str  # C1, C2 ...
    choices: tuple[Choice, ...]  # only positions with alternatives

    @property
    def title(self) -> str:
        if not self.choices:
            return "single reading"
        return "; ".join(f"{c.party}/{c.position}: {c.reading}" for c in self.choices)


@dataclass(frozen=True)
class PledgeStatus:
    country: str
    status: str  # usable | excluded | undetermined
    reason: str


@dataclass(frozen=True)
class ComboResult:
    combo: Combination
    parties: tuple[Eligibility, ...]
    joint: Eligibility
    pledges: tuple[PledgeStatus, ...]
    explanation: Explanation
    flags: tuple[Flag, ...]
    composition: Composition
    diagnostics: dict[str, Composition]
    with_undetermined: Composition | None
    accepting: tuple[str, ...] = ()  # parties that named acceptable countries

    def to_dict(self) -> dict[str, object]:
        return {
            "combination": self.combo.label,
            "readings": [c.__dict__ for c in self.combo.choices],
            "parties": [p.to_dict() for p in self.parties],
            "joint": self.joint.to_dict(),
            "pledges": [p.__dict__ for p in self.pledges],
            "explanation": self.explanation.to_dict(),
            "consistency": [f.to_dict() for f in self.flags],
            "composition": self.composition.to_dict(),
            "diagnostics": {k: v.to_dict() for k, v in self.diagnostics.items()},
            "with_undetermined": (
                None if self.with_undetermined is None else self.with_undetermined.to_dict()
            ),
        }


@dataclass(frozen=True)
class Conclusion:
    topic: str
    statement: str
    holds_under: tuple[str, ...]
    total: int

    @property
    def robust(self) -> bool:
        return len(self.holds_under) == self.total

    def to_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "statement": self.statement,
            "holds_under": list(self.holds_under),
            "holds_under_all": self.robust,
        }


@dataclass(frozen=True)
class CheckReport:
    design: Design
    council: Analysis
    facts: dict[str, bool | None]
    facts_basis: dict[str, str]
    combos: tuple[ComboResult, ...]
    conclusions: tuple[Conclusion, ...]
    sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = self.design
        return {
            "design": d.doc.design,
            "file": d.source,
            "as_of": d.doc.as_of,
            "country_data_as_of": DATA_AS_OF,
            "draft": d.doc.draft.model_dump(),
            "council": {
                "members": [
                    {"iso3": m.iso3, "permanent": m.permanent, "vote": d.votes[m.iso3]}
                    for m in d.members
                ],
                **self.council.to_dict(),
            },
            "facts": {k: {"value": v, "basis": self.facts_basis[k]} for k, v in self.facts.items()},
            "force": {
                "required": d.doc.force.required.model_dump(),
                "acts_as": list(d.doc.force.acts_as),
                "max_share": d.doc.force.max_share,
                "min_regions": d.doc.force.min_regions,
                "max_region_share": d.doc.force.max_region_share,
                "region_attribute": d.doc.force.region_attribute,
                "excluded_contributors": list(d.excluded),
            },
            "overrides": {
                iso: list(c.overridden) for iso, c in d.countries.items() if c.overridden
            },
            "combinations": [c.to_dict() for c in self.combos],
            "conclusions": [c.to_dict() for c in self.conclusions],
            "sources": self.sources,
        }


# ------------------------------------------------------------------- steps


def combinations(design: Design) -> list[Combination]:
    """Every choice of one reading per position with alternatives, in file order."""
    alts = [p for p in design.positions if p.has_alternatives]
    out = []
    for n, pick in enumerate(itertools.product(*(range(len(p.readings)) for p in alts)), start=1):
        choices = tuple(
            Choice(p.party, p.id, p.readings[r][0], p.readings[r][1])
            for p, r in zip(alts, pick, strict=True)
        )
        out.append(Combination(f"C{n}", choices))
    return out


def _chosen(design: Design, combo: Combination) -> list[tuple[PartyPosition, int]]:
    picked = {(c.party, c.position): c.reading for c in combo.choices}
    out = []
    for p in design.positions:
        if p.has_alternatives:
            rid = picked[(p.party, p.id)]
            out.append((p, next(i for i, r in enumerate(p.readings) if r[0] == rid)))
        else:
            out.append((p, 0))
    return out


def mission_facts(
    design: Design, council: Analysis
) -> tuple[dict[str, bool | None], dict[str, str]]:
    """``un_mandate`` from the design file, else from the Council analysis."""
    given = design.doc.facts.get("un_mandate", "absent")
    if given != "absent":
        return {"un_mandate": given}, {"un_mandate": "given in the design file"}  # type: ignore[dict-item]
    if council.status == "adopted":
        return {"un_mandate": True}, {"un_mandate": "the draft is adopted on the given votes"}
    if council.status == "not adopted":
        return {"un_mandate": False}, {"un_mandate": "the draft fails on the given votes"}
    return {"un_mandate": None}, {"un_mandate": "unknown: the Council vote is open"}


def _offers(design: Design, usable: list[PledgeIn], region_attr: str) -> tuple[Offer, ...]:
    out = []
    for pl in usable:
        reg = design.countries[pl.country].get(region_attr)
        out.append(
            Offer(
                pl.country,
                str(reg) if reg is not None else f"unknown region ({pl.country})",
                {k: pl.amount(k) for k in KINDS},
            )
        )
    return tuple(out)


def _problem(design: Design, offers: tuple[Offer, ...]) -> Problem:
    f = design.doc.force
    return Problem(
        offers,
        f.required.model_dump(),
        max_share=f.max_share,
        min_regions=f.min_regions,
        max_region_share=f.max_region_share,
    )


def _pledge_status(
    design: Design, joint: Eligibility, facts: dict[str, bool | None]
) -> list[PledgeStatus]:
    verdicts = {v.iso3: v for v in joint.verdicts}
    out = []
    for pl in design.pledges:
        v = verdicts.get(pl.country)
        if v is None:
            out.append(PledgeStatus(pl.country, "excluded", "a party to the conflict"))
            continue
        own = (
            None
            if pl.condition is None
            else pl.condition.evaluate(env_of(design.countries[pl.country], facts))
        )
        if v.status == "excluded":
            out.append(PledgeStatus(pl.country, "excluded", "breaks " + "; ".join(v.failed)))
        elif own is False and pl.condition is not None:
            why = f"its own condition fails: {pl.condition.text}"
            out.append(PledgeStatus(pl.country, "excluded", why))
        elif v.status == "undetermined":
            out.append(
                PledgeStatus(pl.country, "undetermined", "unknown: " + ", ".join(v.unknown_facts))
            )
        elif own is None and pl.condition is not None:
            out.append(
                PledgeStatus(
                    pl.country, "undetermined", f"its own condition is unknown: {pl.condition.text}"
                )
            )
        else:
            out.append(PledgeStatus(pl.country, "usable", ""))
    return out


def evaluate_combination(
    design: Design, combo: Combination, facts: dict[str, bool | None], *, time_limit_s: float = 10.0
) -> ComboResult:
    """Eligibility, joint set, explanation, consistency and composition for one combination."""
    force_roles = set(design.doc.force.acts_as)
    candidates = [iso for iso in sorted(design.countries) if iso not in design.excluded]
    chosen = _chosen(design, combo)
    per_party: dict[str, list[Condition]] = {p.id: [] for p in design.doc.parties}
    all_roles: dict[str, list[tuple[Condition, tuple[str, ...]]]] = {
        p.id: [] for p in design.doc.parties
    }
    for pos, r in chosen:
        conds = pos.readings[r][2]
        all_roles[pos.party] += [(c, pos.applies_to) for c in conds]
        if force_roles & set(pos.applies_to):
            per_party[pos.party] += list(conds)
    parties = tuple(
        judge(pid, conds, design.countries, candidates, facts) for pid, conds in per_party.items()
    )
    joint_conds = [c for conds in per_party.values() for c in conds]
    joint = judge("all parties", joint_conds, design.countries, candidates, facts)
    pledges = _pledge_status(design, joint, facts)
    usable = [pl for pl, st in zip(design.pledges, pledges, strict=True) if st.status == "usable"]
    region_attr = design.doc.force.region_attribute
    problem = _problem(design, _offers(design, usable, region_attr))
    comp = compose(problem, time_limit_s=time_limit_s)
    diags = diagnose(problem, time_limit_s=time_limit_s) if not comp.meets_requirement else {}
    undet = [
        pl
        for pl, st in zip(design.pledges, pledges, strict=True)
        if st.status in ("usable", "undetermined")
    ]
    with_undet = None
    if not comp.meets_requirement and len(undet) > len(usable):
        with_undet = compose(
            _problem(design, _offers(design, undet, region_attr)), time_limit_s=time_limit_s
        )
    explanation = _explain(
        design, joint_conds, candidates, facts, joint, comp, time_limit_s=time_limit_s
    )
    flags: list[Flag] = []
    for p in design.doc.parties:
        acc = [(a.role, a.countries, a.source or "") for a in p.accepts]
        flags += consistency(p.id, acc, all_roles[p.id], design.countries, facts)
    accepting = tuple(p.id for p in design.doc.parties if p.accepts)
    return ComboResult(
        combo,
        parties,
        joint,
        tuple(pledges),
        explanation,
        tuple(flags),
        comp,
        diags,
        with_undet,
        accepting,
    )


def _explain(
    design: Design,
    conds: list[Condition],
    candidates: list[str],
    facts: dict[str, bool | None],
    joint: Eligibility,
    comp: Composition,
    *,
    time_limit_s: float,
) -> Explanation:
    if joint.eligible and comp.meets_requirement:
        return Explanation("")
    truth = truth_matrix(conds, design.countries, candidates, facts)
    index = {iso: i for i, iso in enumerate(candidates)}
    own_ok = {
        pl.country: pl.condition is None
        or pl.condition.evaluate(env_of(design.countries[pl.country], facts)) is True
        for pl in design.pledges
    }
    pledged = [
        (index[pl.country], {k: pl.amount(k) for k in KINDS})
        for pl in design.pledges
        if pl.country in index and own_ok[pl.country]
    ]
    req = design.doc.force.required.model_dump()
    cap = design.doc.force.max_share

    def sat(s: frozenset[int]) -> Any:
        cols = sorted(s)
        return truth[:, cols].all(axis=1) if cols else truth[:, :0].all(axis=1)

    if not joint.eligible:
        kind = "empty"

        def bad(s: frozenset[int]) -> bool:
            return not bool(sat(s).any())

        note = "no candidate country definitely meets every condition"
        if joint.undetermined:
            more = " ..." if len(joint.undetermined) > 8 else ""
            note += (
                f"; {len(joint.undetermined)} are undetermined for want of facts "
                f"({', '.join(joint.undetermined[:8])}{more})"
            )
    else:
        kind = "insufficient"

        def bad(s: frozenset[int]) -> bool:
            ok = sat(s)
            return not capacity_met([a for i, a in pledged if ok[i]], req, cap)

        short = ", ".join(f"{v} {k}" for k, v in comp.shortfall.items() if v)
        note = f"the best composition is short by {short}"
    cores_idx = minimal_cores(len(conds), bad)
    if kind == "insufficient" and not cores_idx:
        note += (
            "; the pledges of the joint set would suffice under the share cap, so the region "
            "spread (or unknown regions) causes the shortfall"
        )
    elif kind == "insufficient" and () in cores_idx:
        note += "; even with no party condition the usable pledges cannot meet the requirement"
    relaxations = []
    before = set(joint.eligible)
    for j, c in enumerate(conds):
        rest = conds[:j] + conds[j + 1 :]
        e = judge("all parties", rest, design.countries, candidates, facts)
        st = _pledge_status(design, e, facts)
        usable = [pl for pl, s in zip(design.pledges, st, strict=True) if s.status == "usable"]
        comp_j = compose(
            _problem(design, _offers(design, usable, design.doc.force.region_attribute)),
            time_limit_s=time_limit_s,
        )
        remaining = frozenset(range(len(conds))) - {j}
        relaxations.append(
            Relaxation(
                c,
                len(e.eligible),
                len(e.undetermined),
                tuple(sorted(set(e.eligible) - before)),
                comp_j.relative_shortfall,
                not bad(remaining) and comp_j.meets_requirement,
            )
        )
    relaxations.sort(key=lambda r: (r.shortfall or 0.0, -r.joint_eligible, r.condition.label))
    return Explanation(
        kind,
        tuple(tuple(conds[i] for i in core) for core in cores_idx),
        note,
        tuple(relaxations),
    )


def _conclusions(results: list[ComboResult]) -> list[Conclusion]:
    """Statements with the combinations they hold under; items sharing a pattern are merged."""
    n = len(results)
    items: dict[tuple[str, str, str], list[str]] = {}  # (topic, template, item) -> combos
    topic = ""

    def add(template: str, item: str, label: str) -> None:
        items.setdefault((topic, template, item), []).append(label)

    for r in results:
        lab = r.combo.label
        topic = "joint set"
        if not r.joint.eligible:
            add("no country is definitely acceptable to every party", "", lab)
        for iso in r.joint.eligible:
            add("acceptable to every party: {}", iso, lab)
        for iso in r.joint.undetermined:
            add("undetermined for want of facts: {}", iso, lab)
        topic = "consistency"
        by_pair: dict[tuple[str, str, str], list[str]] = {}
        for f in r.flags:
            if f.status == "breaks":
                by_pair.setdefault((f.party, f.role, f.country), []).append(f.condition)
        for (party, role, iso), conds in by_pair.items():
            tpl = f"{party} names as acceptable {role}s countries breaking its own conditions: {{}}"
            add(tpl, f"{iso} ({', '.join(conds)})", lab)
        flagged = {f.party for f in r.flags if f.status == "breaks"}
        named = set(r.accepting)
        for party in sorted(named - flagged):
            add("named acceptable countries meet their own party's conditions: {}", party, lab)
        topic = "composition"
        if r.composition.meets_requirement:
            add("the required force can be composed from definite pledges", "", lab)
        else:
            short = ", ".join(f"{v} {k}" for k, v in r.composition.shortfall.items() if v)
            add("the required force cannot be composed from definite pledges", "", lab)
            add("best composition short by {}", short, lab)
        topic = "relaxation"
        for c in r.explanation.relaxations[:1]:
            add("the single relaxation that helps most: drop {}", f"'{c.condition.label}'", lab)
    grouped: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for (tp, template, item), labs in items.items():
        grouped.setdefault((tp, template, tuple(labs)), []).append(item)
    out = []
    for (tp, template, labels), its in grouped.items():
        text = template.format(", ".join(i for i in its if i)) if "{}" in template else template
        out.append(Conclusion(tp, text, labels, n))
    out.sort(key=lambda c: (not c.robust, -len(c.holds_under)))
    return out


def check_design(design: Design, *, time_limit_s: float = 10.0) -> CheckReport:
    """Run the whole check on a loaded design."""
    council = analyze(design.members, design.votes, procedural=design.doc.draft.procedural)
    facts, basis = mission_facts(design, council)
    results = [
        evaluate_combination(design, c, facts, time_limit_s=time_limit_s)
        for c in combinations(design)
    ]
    used: set[str] = set()
    for pos in design.positions:
        for _, src, _ in pos.readings:
            used |= _source_ids(src)
        used |= _source_ids(pos.source)
    for pl in design.pledges:
        used |= _source_ids(pl.source)
    used |= _source_ids(design.doc.force.source or "")
    for pt in design.doc.parties:
        for acc in pt.accepts:
            used |= _source_ids(acc.source or "")
    table = load_sources()
    order = sorted(
        used, key=lambda s: (not s[1:].isdigit(), int(s[1:]) if s[1:].isdigit() else 0, s)
    )
    sources = {s: table[s]["url"] for s in order if s in table}
    return CheckReport(
        design, council, facts, basis, tuple(results), tuple(_conclusions(results)), sources
    )


def _source_ids(text: str) -> set[str]:
    import re

    return set(re.findall(r"\b(S\d{1,3}|UNRG|M49)\b", text or ""))
