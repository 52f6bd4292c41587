"""The ``offensive`` scenario: a calm front (the quiet profile) on which one
party's fire surges in one sector for hours, spreads to the sectors beside it,
and then its armour crosses the contact line.

Timeline (hours after the start; defaults): the surge begins at ``onset_h`` in
the attacked sector, on a front of about ``front_km`` about a point drawn in it
(``surge_rounds_per_h``, ``own_share`` of them the attacker's, the rest return
fire); at ``spread_h`` the fire spreads to each neighbouring sector
(``spread_rounds_per_h`` more in each, nearest the attacked one); at
``armour_h`` ``armour_units`` tanks and APCs cross the line at the surge's
centre and stay 1-3 km beyond it. From the onset a mission drone is tasked over
the surge every ``sortie_every_h`` hours and sights what stands within 25 km.

The truth gains ``offensive`` (party, sectors, times) and
``expected_engagements``: which line of the mandate's ladder the offensive
should engage, against whom, from when. The first two count lines of the
ladder answer the surge (from its onset; where a line counts per sector, in the
attacked sector from the onset and in each neighbour from the spread), every
crossing line the armour (from the crossing). Other lines are not expected to
engage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ceasefire.geo import distance_m, forward
from ceasefire.mandate import Mandate
from ceasefire.simulate.along import line_length_m, offset_point
from ceasefire.simulate.ground import Sighting, Thing, _misread
from ceasefire.simulate.profiles import QUIET, Profile
from ceasefire.simulate.rounds import Rounds, engagement_rounds
from ceasefire.simulate.weapons import WEAPON_SPECS

__all__ = ["Offensive", "expected_engagements", "offensive_profile", "scenario"]

#: a tasked sortie's footprint about its aim point, m, and its chance of sighting
#: each thing in it (as the routine sorties in ``ground.sight``)
FOOTPRINT_M = 25_000.0
SIGHT_P = 0.8
#: share of sightings that read the party's markings (as in ``ground.sight``)
MARKED_P = 0.6


@dataclass(frozen=True)
class Offensive:
    """The offensive's parameters (hours after the simulated window's start)."""

    #: the attacking party (default: the one holding the contact line's left side)
    party: str | None = None
    #: the attacked sector (default: drawn among the sectors with a neighbour)
    sector: str | None = None
    onset_h: float = 4.0
    spread_h: float = 10.0
    armour_h: float = 14.0
    surge_rounds_per_h: float = 600.0
    spread_rounds_per_h: float = 300.0
    own_share: float = 0.85
    front_km: float = 20.0
    rounds_per_engagement: float = 30.0
    engagement_s: float = 1_200.0
    armour_units: int = 6
    sortie_every_h: float = 0.5

    # ── the plan, drawn once per scenario from the addition's generator ───────
    def _plan(self, m: Mandate, rng: np.random.Generator) -> dict[str, Any]:
        length = line_length_m(m.contact)
        party = self.party or m.doc.contact_line.left
        secs = sorted(m.doc.sectors, key=lambda s: s.from_km)
        if secs:
            ids = [s.id for s in secs]
            if self.sector is not None:
                k = ids.index(self.sector)
            else:
                inner = [i for i in range(len(secs)) if len(secs) == 1 or 0 < i < len(secs) - 1]
                k = int(rng.choice(inner or list(range(len(secs)))))
            s = secs[k]
            lo_m, hi_m = s.from_km * 1000.0, min(s.to_km * 1000.0, length)
            margin = min(self.front_km * 1000.0, (hi_m - lo_m) / 4)
            centre = float(rng.uniform(lo_m + margin, hi_m - margin))
            neighbours = [
                (secs[j].id, secs[j].from_km * 1000.0, min(secs[j].to_km * 1000.0, length))
                for j in (k - 1, k + 1)
                if 0 <= j < len(secs)
            ]
            sector: str | None = s.id
        else:
            centre = float(rng.uniform(0.25, 0.75) * length)
            neighbours = []
            sector = None
        return {
            "party": party,
            "side": m.party_side(party),
            "sector": sector,
            "centre_m": centre,
            "neighbours": neighbours,
        }

    def plan(self, m: Mandate, seed: int) -> dict[str, Any]:
        """The drawn plan (party, sector, centre chainage, neighbours) for ``seed``."""
        return self._plan(m, np.random.default_rng([seed, 2]))

    # ── the Addition protocol ─────────────────────────────────────────────────
    def bind(self, seed: int) -> _Bound:
        """This offensive for one seed (its plan is drawn from the seed)."""
        return _Bound(self, seed)


@dataclass
class _Bound:
    off: Offensive
    seed: int

    def _p(self, m: Mandate) -> dict[str, Any]:
        return self.off.plan(m, self.seed)

    def rounds(self, m: Mandate, start_s: float, end_s: float, rng: np.random.Generator) -> Rounds:
        o, p = self.off, self._p(m)
        length = line_length_m(m.contact)
        sigma = o.front_km * 1000.0 / 4.0
        parts = [
            (p["centre_m"], sigma, start_s + o.onset_h * 3600.0, o.surge_rounds_per_h, 0.0, length)
        ]
        for _, lo, hi in p["neighbours"]:
            # the fire spreads into the neighbour's stretch nearest the attacked sector
            near = lo if lo >= p["centre_m"] else hi
            parts.append(
                (
                    near + np.sign(near - p["centre_m"]) * o.front_km * 500.0,
                    sigma,
                    start_s + o.spread_h * 3600.0,
                    o.spread_rounds_per_h,
                    lo,
                    hi,
                )
            )
        shares = np.array([s.share for s in WEAPON_SPECS])
        chs, ts, durs, ws, sides, ks = [], [], [], [], [], []
        for centre, sd, t0, rate, lo, hi in parts:
            if t0 >= end_s:
                continue
            n = int(rng.poisson(rate * (end_s - t0) / 3600.0 / o.rounds_per_engagement))
            chs.append(np.clip(rng.normal(centre, sd, n), max(lo, 500.0), min(hi, length - 500.0)))
            ts.append(rng.uniform(t0, end_s, n))
            durs.append(rng.exponential(o.engagement_s, n) + 60.0)
            ws.append(rng.choice(len(WEAPON_SPECS), n, p=shares / shares.sum()))
            sides.append(np.full(n, p["side"], dtype=np.int64))
            ks.append(rng.poisson(o.rounds_per_engagement - 1, n) + 1)
        r = engagement_rounds(
            m,
            np.concatenate([np.zeros(0), *chs]),
            np.concatenate([np.zeros(0), *ts]),
            np.concatenate([np.zeros(0), *durs]),
            np.concatenate([np.zeros(0, np.int64), *ws]),
            np.concatenate([np.zeros(0, np.int64), *sides]),
            np.concatenate([np.zeros(0, np.int64), *ks]),
            rng,
            own_share=o.own_share,
        )
        # fire past the window's end is not part of it
        keep = r.launch_s < end_s
        return Rounds(**{f: getattr(r, f)[keep] for f in r.__dataclass_fields__})

    def things(
        self, m: Mandate, start_s: float, end_s: float, rng: np.random.Generator
    ) -> list[Thing]:
        o, p = self.off, self._p(m)
        t_cross = start_s + o.armour_h * 3600.0
        if t_cross >= end_s:
            return []
        out = []
        for i in range(o.armour_units):
            cls = "tank" if i % 2 == 0 else "apc"
            ch = p["centre_m"] + rng.normal(0.0, 2_000.0)
            la0, lo0 = offset_point(m.contact, ch, p["side"], rng.uniform(3_000.0, 6_000.0))
            la1, lo1 = offset_point(m.contact, ch, -p["side"], rng.uniform(1_000.0, 3_000.0))
            out.append(
                Thing(
                    f"{p['party']}-offensive-{cls}-{i + 1:02d}",
                    cls,
                    p["party"],
                    [
                        (max(start_s, t_cross - 2 * 3600.0), float(la0[0]), float(lo0[0])),
                        (t_cross + float(rng.uniform(0, 600.0)), float(la1[0]), float(lo1[0])),
                    ],
                    end_s,
                )
            )
        return out

    def sightings(
        self,
        m: Mandate,
        things: Sequence[Thing],
        start_s: float,
        end_s: float,
        rng: np.random.Generator,
    ) -> list[Sighting]:
        o, p = self.off, self._p(m)
        cla, clo = offset_point(m.contact, p["centre_m"], 1, 0.0)

        out: list[Sighting] = []
        t = start_s + o.onset_h * 3600.0
        k = 0
        while t < end_s:
            k += 1
            src = f"uav-tasked-{k:04d}"
            for i, th in enumerate(things):
                if th.cls == "uav":
                    continue
                ts = float(min(t + rng.uniform(0, o.sortie_every_h * 3600.0), end_s - 1.0))
                if not (th.track[0][0] <= ts < th.t_end_s):
                    continue
                la, lo = th.at(ts)
                if float(distance_m(la, lo, float(cla[0]), float(clo[0]))) > FOOTPRINT_M:
                    continue
                if rng.random() > SIGHT_P:
                    continue
                sig = float(rng.uniform(20.0, 60.0))
                dla, dlo = forward(la, lo, rng.uniform(0, 360), abs(rng.normal(0, sig)) * 1.2)
                out.append(
                    Sighting(
                        i,
                        src,
                        ts,
                        float(dla),
                        float(dlo),
                        sig,
                        _misread(th.cls, rng),
                        th.party if rng.random() < MARKED_P else None,
                    )
                )
            t += o.sortie_every_h * 3600.0
        return out

    def truth(self, m: Mandate, start_s: float, end_s: float) -> dict[str, Any]:
        o, p = self.off, self._p(m)
        out: dict[str, Any] = {
            "profile": "offensive",
            "offensive": {
                "party": p["party"],
                "sector": p["sector"],
                "centre_km": p["centre_m"] / 1000.0,
                "spread_to": [s for s, _, _ in p["neighbours"]],
                "onset_h": o.onset_h,
                "spread_h": o.spread_h,
                "armour_h": o.armour_h,
            },
        }
        window = {"start": start_s, "hours": (end_s - start_s) / 3600.0}
        out["expected_engagements"] = expected_engagements(m, {**out, **window})
        return out


def expected_engagements(m: Mandate, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The engagements an offensive's truth calls for under ``m``'s ladder: dicts
    with ``line``, ``party``, ``sector`` (None where the line does not count per
    sector), ``phase`` and ``onset`` (epoch s). See the module docstring."""
    off = truth.get("offensive")
    if off is None:
        return []
    start = float(truth["start"])
    end = start + float(truth["hours"]) * 3600.0
    onset = {
        "surge": start + off["onset_h"] * 3600.0,
        "spread": start + off["spread_h"] * 3600.0,
        "armour": start + off["armour_h"] * 3600.0,
    }
    out: list[dict[str, Any]] = []

    def add(line: int, per_sector: bool, phase: str, sector: str | None) -> None:
        if onset[phase] < end:
            out.append(
                {
                    "line": line,
                    "party": off["party"],
                    "sector": sector if per_sector else None,
                    "phase": phase,
                    "onset": onset[phase],
                }
            )

    counts = [d for d in m.doc.response.escalation if d.trigger.kind == "count"]
    for d in counts[:2]:
        per_sector = d.trigger.per in ("sector", "party_sector")
        add(d.line, per_sector, "surge", off["sector"])
        if per_sector:
            for s in off["spread_to"]:
                add(d.line, True, "spread", s)
    for d in m.doc.response.escalation:
        if d.trigger.kind == "crossing":
            add(d.line, False, "armour", None)
    return out


def offensive_profile(base: Profile = QUIET) -> Profile:
    """The calm front beneath the offensive: ``base`` named ``offensive``."""
    return replace(base, name="offensive")


def scenario(profile: str, seed: int) -> tuple[Profile, _Bound | None]:
    """The profile to simulate ``profile`` with, and the addition it needs for
    ``seed`` (None for the plain profiles)."""
    from ceasefire.simulate.profiles import get_profile

    if profile == "offensive":
        return offensive_profile(), Offensive().bind(seed)
    return get_profile(profile), None
