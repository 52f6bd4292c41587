"""Country attributes for contributor conditions, read from the shipped fact tables.

Facts are three-valued: ``True``, ``False`` or ``None`` (unknown). A value the
table marks ``unknown`` stays ``None``; it is never filled by guessing. Values
the table qualifies (``yes_unverified``, ``n (low confidence)``, ``partner``)
keep their raw text as a *caveat*, reported wherever a conclusion rests on them.

The tables hold for 2025 (memberships, Security Council seats for 2025 and
2026); peacekeeper counts carry their own date (``un_peacekeepers_as_of``).
Every country keeps the ``source`` ids of its row (see ``sources.csv``).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from ceasefire.model.errors import DesignError

Kind = Literal["flag", "number", "text", "relation"]
Value = bool | int | str | dict[str, bool | None] | None

DATA_AS_OF = "2025"


@dataclass(frozen=True)
class AttrSpec:
    """One attribute a condition can test."""

    name: str
    kind: Kind
    doc: str


_SPECS = [
    AttrSpec("iso3", "text", "ISO 3166 alpha-3 code, e.g. iso3:DEU or iso3 in {DEU, TUR}"),
    AttrSpec("name", "text", "country name"),
    AttrSpec("nato", "flag", "member of NATO (2025)"),
    AttrSpec("eu", "flag", "member of the European Union (2025)"),
    AttrSpec("csto", "flag", "member of the CSTO (Armenia: participation frozen, caveat)"),
    AttrSpec("sco", "flag", "member of the Shanghai Cooperation Organisation"),
    AttrSpec("brics", "flag", "member of BRICS (partner countries are not members)"),
    AttrSpec("military_bloc", "flag", "member of NATO or the CSTO"),
    AttrSpec("nuclear_armed", "flag", "holds nuclear weapons (SIPRI 2025)"),
    AttrSpec("p5", "flag", "permanent member of the Security Council"),
    AttrSpec("unsc_member_2025", "flag", "on the Security Council in 2025"),
    AttrSpec("unsc_member_2026", "flag", "on the Security Council in 2026"),
    AttrSpec("udcg", "flag", "took part in the Ukraine Defence Contact Group (Ramstein)"),
    AttrSpec("coalition_of_the_willing", "flag", "in the 2025 Coalition of the Willing"),
    AttrSpec("nuclear_warheads", "number", "SIPRI estimate, Jan 2025"),
    AttrSpec("un_peacekeepers", "number", "uniformed personnel in UN missions (see as-of date)"),
    AttrSpec("un_group", "text", "UN regional group: AG, APG, EEG, GRULAC, WEOG"),
    AttrSpec("continent", "text", "UN M49 region: Africa, Americas, Asia, Europe, Oceania"),
    AttrSpec(
        "gave_military_aid_to",
        "relation",
        "gave military aid (lethal or non-lethal) to, e.g. gave_military_aid_to:UKR",
    ),
    AttrSpec("gave_lethal_aid_to", "relation", "gave lethal military aid to, e.g. :UKR"),
]
ATTRIBUTES: dict[str, AttrSpec] = {s.name: s for s in _SPECS}


@dataclass(frozen=True)
class Country:
    """A country's attribute values, caveats and source ids."""

    iso3: str
    name: str
    values: dict[str, Value]
    caveats: dict[str, str] = field(default_factory=dict)
    source: str = ""
    overridden: tuple[str, ...] = ()

    def get(self, name: str) -> Value:
        return self.values.get(name)


def _flag(raw: str) -> tuple[bool | None, str | None]:
    """Read a y/n cell: (value, caveat or None)."""
    t = raw.strip().lower()
    if t in ("y", "yes"):
        return True, None
    if t in ("n", "no"):
        return False, None
    if t in ("", "unknown"):
        return None, None
    if t.startswith(("y ", "y(", "yes_", "yes ")):
        return True, raw.strip()
    if t.startswith(("n ", "n(", "no_", "no ")):
        return False, raw.strip()
    if t in ("partner", "beneficiary"):
        return False, raw.strip()
    return None, raw.strip()


_AID = {
    # raw value: (military aid, lethal aid, caveat?)
    "yes": (True, True, False),
    "yes_unverified": (True, True, True),
    "non-lethal only": (True, False, False),
    "no": (False, False, False),
    "no_unverified": (False, False, True),
    "n/a": (False, False, True),
    "unknown": (None, None, False),
    "": (None, None, False),
}


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("ceasefire.design").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_sources() -> dict[str, dict[str, str]]:
    """Source id → row (url, what it supports, date) from the shipped tables."""
    out = {}
    for name in ("sources.csv", "sources_design.csv"):
        for r in _read_csv(name):
            out[r["source_id"]] = r
    return out


def permanent_members() -> set[str]:
    """ISO3 codes of the permanent members (``unsc_members.csv``)."""
    return {r["iso3"] for r in _read_csv("unsc_members.csv") if r["seat_type"] == "permanent"}


def council_members(year: int) -> list[tuple[str, bool]]:
    """(iso3, permanent) of the Council in ``year``, as the shipped table lists it."""
    rows = [r for r in _read_csv("unsc_members.csv") if r["year"] == str(year)]
    if not rows:
        years = sorted({r["year"] for r in _read_csv("unsc_members.csv")})
        raise DesignError(f"no Council composition for {year}; the table has {', '.join(years)}")
    return [(r["iso3"], r["seat_type"] == "permanent") for r in rows]


def load_countries() -> dict[str, Country]:
    """All countries of ``countries.csv`` with regions, as :class:`Country`."""
    p5 = permanent_members()
    regions = {r["iso3"]: r for r in _read_csv("regions.csv")}
    out: dict[str, Country] = {}
    for r in _read_csv("countries.csv"):
        iso = r["iso3"]
        values: dict[str, Value] = {"iso3": iso, "name": r["country"]}
        caveats: dict[str, str] = {}
        for col in ("nato", "eu", "csto", "sco", "brics", "nuclear_armed"):
            v, cav = _flag(r[col])
            values[col] = v
            if cav:
                caveats[col] = cav
        for col, attr in (
            ("unsc_member_2025", "unsc_member_2025"),
            ("unsc_member_2026", "unsc_member_2026"),
            ("udcg_ramstein_participant", "udcg"),
            ("coalition_of_the_willing", "coalition_of_the_willing"),
        ):
            v, cav = _flag(r[col])
            values[attr] = v
            if cav:
                caveats[attr] = cav
        nato, csto = values["nato"], values["csto"]
        values["military_bloc"] = (
            True
            if (nato is True or csto is True)
            else (False if (nato is False and csto is False) else None)
        )
        values["p5"] = iso in p5
        w = r["nuclear_warheads_sipri_jan2025"].strip()
        values["nuclear_warheads"] = (
            int(w) if w else (0 if values["nuclear_armed"] is False else None)
        )
        pk = r["un_peacekeepers"].strip()
        values["un_peacekeepers"] = int(pk) if pk.isdigit() else None
        if pk.isdigit():
            caveats["un_peacekeepers"] = (
                f"as of {r['un_peacekeepers_as_of']}, confidence {r['un_peacekeepers_confidence']}"
            )
        aid_raw = r["ukraine_military_aid"].strip()
        mil, lethal, cav_aid = _AID.get(aid_raw, (None, None, True))
        values["gave_military_aid_to"] = {"UKR": mil}
        values["gave_lethal_aid_to"] = {"UKR": lethal}
        if cav_aid:
            caveats["gave_military_aid_to"] = caveats["gave_lethal_aid_to"] = aid_raw
        reg = regions.get(iso)
        values["un_group"] = reg["un_group"] if reg else None
        values["continent"] = reg["continent"] if reg else None
        src = r["source"] + ("; regions:UNRG,M49" if reg else "")
        out[iso] = Country(iso, r["country"], values, caveats, src)
    return out


def coerce_value(attr: str, raw: Any) -> Value:
    """Check and convert a design-file value for ``attr``; raises ``ValueError``."""
    spec = ATTRIBUTES.get(attr)
    if spec is None:
        raise ValueError(f"unknown attribute {attr!r}; expected one of {sorted(ATTRIBUTES)}")
    if raw is None or raw == "unknown":
        return None
    if spec.kind == "flag":
        if isinstance(raw, bool):
            return raw
        raise ValueError(f"{attr} is yes/no: expected true, false or unknown, found {raw!r}")
    if spec.kind == "number":
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
            return raw
        raise ValueError(f"{attr} is a count: expected a whole number >= 0, found {raw!r}")
    if spec.kind == "text":
        if isinstance(raw, str) and raw:
            return raw
        raise ValueError(f"{attr} is text: expected a string, found {raw!r}")
    # relation: a list of targets (all true) or a mapping target -> true/false/unknown
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return {x.upper(): True for x in raw}
    if isinstance(raw, Mapping):
        rel: dict[str, bool | None] = {}
        for k, v in raw.items():
            if v is not None and v != "unknown" and not isinstance(v, bool):
                raise ValueError(f"{attr}.{k}: expected true, false or unknown, found {v!r}")
            rel[str(k).upper()] = None if v in (None, "unknown") else bool(v)
        return rel
    raise ValueError(
        f"{attr} is a relation: expected a list of ISO3 codes or a mapping, found {raw!r}"
    )


def with_overrides(
    base: Mapping[str, Country], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, Country]:
    """Apply design-file attribute overrides; a new ISO3 code adds a country.

    ``overrides`` maps ISO3 → {attribute: value, "source": "..."}; values must
    already be coerced (:func:`coerce_value`).
    """
    out = dict(base)
    for iso, attrs in overrides.items():
        old = out.get(iso)
        values: dict[str, Value] = dict(old.values) if old else dict.fromkeys(ATTRIBUTES)
        values["iso3"] = iso
        if old is None:
            values["name"] = attrs.get("name", iso)
        caveats = dict(old.caveats) if old else {}
        changed = []
        for a, v in attrs.items():
            if a == "source":
                continue
            if ATTRIBUTES[a].kind == "relation" and isinstance(v, dict):
                merged = dict(values.get(a) or {})  # type: ignore[arg-type]
                merged.update(v)
                values[a] = merged
            else:
                values[a] = v
            caveats.pop(a, None)
            changed.append(a)
        if "nato" in changed or "csto" in changed:
            nato, csto = values.get("nato"), values.get("csto")
            values["military_bloc"] = (
                True
                if (nato is True or csto is True)
                else (False if (nato is False and csto is False) else None)
            )
        src = attrs.get("source") or "design file"
        out[iso] = Country(
            iso,
            str(values.get("name") or iso),
            values,
            caveats,
            ((old.source + "; ") if old else "") + f"override:{src}",
            tuple(sorted(set((old.overridden if old else ()) + tuple(changed)))),
        )
    return out
