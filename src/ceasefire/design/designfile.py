"""The mission design file (YAML): schema, loading, and errors that point at a line.

A design file names the draft resolution, the Council and its votes, each
party's positions (conditions on contributors, possibly in alternative
readings), the required force, the pledges, and attribute overrides. See
``docs/design.md`` and ``examples/design-2025.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ceasefire.design.conditions import Condition, parse_condition
from ceasefire.design.council import Member
from ceasefire.design.countries import (
    ATTRIBUTES,
    Country,
    coerce_value,
    council_members,
    load_countries,
    with_overrides,
)
from ceasefire.model.errors import DesignError
from ceasefire.model.yamlpath import (
    line_of,
    loc_str,
    model_error,
    schema_keys,
    yaml_mapping,
)

Role = Literal["contributor", "guarantor"]
ROLES: tuple[Role, ...] = ("contributor", "guarantor")


def _all_roles() -> list[Role]:
    return list(ROLES)


def _contributor() -> list[Role]:
    return ["contributor"]


VoteText = Literal["yes", "no", "abstain", "absent", "open"]
KINDS: tuple[str, ...] = ("troops", "monitors", "drones")
_ISO = r"^[A-Z]{3}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Draft(_Strict):
    title: str = Field(min_length=1)
    symbol: str | None = None
    procedural: bool = False
    note: str | None = None


class CouncilMember(_Strict):
    iso3: str = Field(pattern=_ISO)
    permanent: bool


class CouncilSpec(_Strict):
    """Members from the shipped table for ``year``, or listed; votes default to open."""

    year: int | None = None
    members: list[CouncilMember] | None = None
    votes: dict[str, VoteText] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> CouncilSpec:
        if (self.year is None) == (self.members is None):
            raise ValueError("give either 'year' (members from the shipped table) or 'members'")
        return self


class Reading(_Strict):
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    conditions: list[str]
    note: str | None = None


class Position(_Strict):
    """One public position: conditions, or alternative readings of it."""

    id: str = Field(min_length=1)
    statement: str | None = None
    source: str | None = None
    caveat: str | None = None
    applies_to: list[Role] = Field(default_factory=_all_roles)
    conditions: list[str] | None = None
    readings: list[Reading] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Position:
        if (self.conditions is None) == (self.readings is None):
            raise ValueError("give either 'conditions' or 'readings' (alternatives), not both")
        if self.readings is not None and len(self.readings) < 1:
            raise ValueError("'readings' needs at least one reading")
        return self


class Acceptance(_Strict):
    """Countries a party has named as acceptable in a role."""

    role: Role = "contributor"
    countries: list[str]
    source: str | None = None


class PartySpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
    name: str = Field(min_length=1)
    iso3: str | None = Field(default=None, pattern=_ISO)
    accepts: list[Acceptance] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)


class Strength(_Strict):
    troops: int = Field(default=0, ge=0)
    monitors: int = Field(default=0, ge=0)
    drones: int = Field(default=0, ge=0)


class ForceSpec(_Strict):
    required: Strength
    acts_as: list[Role] = Field(default_factory=_contributor, min_length=1)
    max_share: float = Field(default=1.0, gt=0.0, le=1.0)
    min_regions: int = Field(default=1, ge=0)
    max_region_share: float = Field(default=1.0, gt=0.0, le=1.0)
    region_attribute: str = "un_group"
    exclude: list[str] = Field(default_factory=list)
    source: str | None = None


class Pledge(_Strict):
    country: str = Field(pattern=_ISO)
    troops: int = Field(default=0, ge=0)
    monitors: int = Field(default=0, ge=0)
    drones: int = Field(default=0, ge=0)
    condition: str | None = None
    source: str | None = None
    note: str | None = None


class DesignDoc(_Strict):
    design: str = Field(min_length=1)
    as_of: str | None = None
    draft: Draft
    council: CouncilSpec
    facts: dict[str, bool | None] = Field(default_factory=dict)
    parties: list[PartySpec] = Field(min_length=1)
    force: ForceSpec
    pledges: list[Pledge] = Field(default_factory=list)
    countries: dict[str, dict[str, Any]] = Field(default_factory=dict)
    unknown_policy: Literal["exclude"] = "exclude"


# ------------------------------------------------------------------- loaded design


@dataclass(frozen=True)
class PartyPosition:
    """A position with its parsed readings (a single reading if it has none)."""

    party: str
    id: str
    applies_to: tuple[str, ...]
    readings: tuple[tuple[str, str, tuple[Condition, ...]], ...]  # (id, source, conditions)
    statement: str
    source: str
    caveat: str

    @property
    def has_alternatives(self) -> bool:
        return len(self.readings) > 1


@dataclass(frozen=True)
class PledgeIn:
    country: str
    troops: int
    monitors: int
    drones: int
    condition: Condition | None
    source: str
    note: str

    def amount(self, kind: str) -> int:
        return int(getattr(self, kind))


@dataclass(frozen=True)
class Design:
    """A validated design: the document plus parsed conditions and the country table."""

    doc: DesignDoc
    source: str
    countries: dict[str, Country]
    members: tuple[Member, ...]
    votes: dict[str, str]
    positions: tuple[PartyPosition, ...]
    pledges: tuple[PledgeIn, ...]
    excluded: tuple[str, ...]


def load_design(path: str | Path) -> Design:
    """Read and validate the design file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DesignError(f"cannot read the design file: {exc.strerror}", file=str(p)) from exc
    return parse_design(text, source=str(p))


def parse_design(text: str, *, source: str = "<design>") -> Design:
    """Validate design YAML ``text`` into a :class:`Design`."""
    node, data = yaml_mapping(
        text, source, DesignError, "design, draft, council, parties, force, ..."
    )
    try:
        doc = DesignDoc.model_validate(data)
    except ValidationError as exc:
        known = schema_keys(globals().values())
        raise model_error(exc.errors(), node, source, DesignError, known) from exc

    def where(*loc: int | str) -> dict[str, Any]:
        return {"file": source, "line": line_of(node, loc), "field": loc_str(loc)}

    def fail(msg: str, *loc: int | str) -> DesignError:
        return DesignError(msg, **where(*loc))

    # countries, with overrides
    base = load_countries()
    overrides: dict[str, dict[str, Any]] = {}
    for iso, attrs in doc.countries.items():
        if not iso.isalpha() or len(iso) != 3 or not iso.isupper():
            raise fail(f"country key {iso!r} is not an ISO3 code like 'DEU'", "countries", iso)
        if iso not in base and "name" not in attrs:
            raise fail(
                f"{iso} is not in the shipped table; a new country needs a 'name'",
                "countries",
                iso,
            )
        conv: dict[str, Any] = {}
        for a, v in attrs.items():
            if a == "source":
                conv[a] = str(v)
                continue
            if a not in ATTRIBUTES or a == "iso3":
                raise fail(
                    f"unknown attribute {a!r}; expected one of "
                    f"{', '.join(n for n in sorted(ATTRIBUTES) if n != 'iso3')}, source",
                    "countries",
                    iso,
                    a,
                )
            try:
                conv[a] = coerce_value(a, v)
            except ValueError as exc:
                raise fail(str(exc), "countries", iso, a) from exc
        overrides[iso] = conv
    countries = with_overrides(base, overrides)

    def check_iso(iso: str, *loc: int | str) -> None:
        if iso not in countries:
            raise fail(
                f"unknown country {iso!r}; expected an ISO3 code of the country table "
                "(add it under 'countries:' with a name and attributes)",
                *loc,
            )

    # council
    if doc.council.members is not None:
        members = tuple(Member(m.iso3, m.permanent) for m in doc.council.members)
    else:
        assert doc.council.year is not None
        try:
            members = tuple(Member(i, p) for i, p in council_members(doc.council.year))
        except DesignError as exc:
            raise fail(exc.reason, "council", "year") from exc
    isos = [m.iso3 for m in members]
    if len(set(isos)) != len(isos):
        raise fail(f"a member is listed twice: {isos}", "council", "members")
    if len(members) != 15 or sum(m.permanent for m in members) != 5:
        raise fail(
            f"the Council has 15 members of which 5 permanent (Charter Art. 23); found "
            f"{len(members)} with {sum(m.permanent for m in members)} permanent",
            "council",
            "members",
        )
    for iso in doc.council.votes:
        if iso not in isos:
            raise fail(
                f"{iso!r} votes but is not a member; members are {', '.join(isos)}",
                "council",
                "votes",
                iso,
            )
    votes: dict[str, str] = {iso: doc.council.votes.get(iso, "open") for iso in isos}

    for k in doc.facts:
        if k != "un_mandate":
            raise fail(f"unknown mission fact {k!r}; expected un_mandate", "facts", k)

    # parties and their positions
    ids = [pt.id for pt in doc.parties]
    if len(set(ids)) != len(ids):
        raise fail(f"party ids must be unique, found {ids}", "parties")
    positions: list[PartyPosition] = []
    for i, pt in enumerate(doc.parties):
        if pt.iso3:
            check_iso(pt.iso3, "parties", i, "iso3")
        for j, acc in enumerate(pt.accepts):
            for n, iso in enumerate(acc.countries):
                check_iso(iso, "parties", i, "accepts", j, "countries", n)
        pos_ids = [po.id for po in pt.positions]
        if len(set(pos_ids)) != len(pos_ids):
            raise fail(
                f"position ids must be unique within a party, found {pos_ids}",
                "parties",
                i,
                "positions",
            )
        for j, po in enumerate(pt.positions):
            readings = []
            if po.readings is None:
                assert po.conditions is not None
                conds = tuple(
                    Condition(
                        c,
                        parse_condition(c, **where("parties", i, "positions", j, "conditions", k)),
                        pt.id,
                        po.id,
                        "",
                        po.source or "",
                    )
                    for k, c in enumerate(po.conditions)
                )
                readings.append(("", po.source or "", conds))
            else:
                rids = [r.id for r in po.readings]
                if len(set(rids)) != len(rids):
                    raise fail(
                        f"reading ids must be unique, found {rids}",
                        "parties",
                        i,
                        "positions",
                        j,
                        "readings",
                    )
                for r_i, r in enumerate(po.readings):
                    conds = tuple(
                        Condition(
                            c,
                            parse_condition(
                                c,
                                **where(
                                    "parties",
                                    i,
                                    "positions",
                                    j,
                                    "readings",
                                    r_i,
                                    "conditions",
                                    k,
                                ),
                            ),
                            pt.id,
                            po.id,
                            r.id,
                            r.source,
                        )
                        for k, c in enumerate(r.conditions)
                    )
                    readings.append((r.id, r.source, conds))
            positions.append(
                PartyPosition(
                    pt.id,
                    po.id,
                    tuple(dict.fromkeys(po.applies_to)),
                    tuple(readings),
                    po.statement or "",
                    po.source or "",
                    po.caveat or "",
                )
            )

    # force and pledges
    for n, iso in enumerate(doc.force.exclude):
        check_iso(iso, "force", "exclude", n)
    if (
        doc.force.region_attribute not in ATTRIBUTES
        or ATTRIBUTES[doc.force.region_attribute].kind != "text"
    ):
        raise fail(
            f"region_attribute {doc.force.region_attribute!r} is not a text attribute; "
            "expected un_group or continent",
            "force",
            "region_attribute",
        )
    excluded = tuple(
        dict.fromkeys([pt.iso3 for pt in doc.parties if pt.iso3] + list(doc.force.exclude))
    )
    pledges = []
    seen: set[str] = set()
    for i, pl in enumerate(doc.pledges):
        check_iso(pl.country, "pledges", i, "country")
        if pl.country in seen:
            raise fail(f"{pl.country} pledges twice; merge the pledges", "pledges", i, "country")
        seen.add(pl.country)
        cond = None
        if pl.condition is not None:
            cond = Condition(
                pl.condition,
                parse_condition(pl.condition, **where("pledges", i, "condition")),
                pl.country,
                "pledge",
                "",
                pl.source or "",
            )
        pledges.append(
            PledgeIn(
                pl.country, pl.troops, pl.monitors, pl.drones, cond, pl.source or "", pl.note or ""
            )
        )
    return Design(
        doc, source, countries, members, votes, tuple(positions), tuple(pledges), excluded
    )
