"""Burst siblings in the fused events of the ``varied`` family (issue 21).

Each draw is fused once (as shipped, or with ``--fuse-set``) and every report is held
against the truth (its observer, its round and phase: launch L, impact I, clutter C):

- **observer pairs** (:func:`observer_pairs`): two reports of one observer in one event,
  by what they are (one round's launch and impact, which one observer may well report
  both; or two rounds' reports, or clutter: physically two sources) and how far apart
  in time. Association holds one report per observer per event (``gates.slot_free``);
  the events' other joins (launch/impact pairing, ray pairs) join phases.
- **merged siblings** (:func:`merged_siblings`): rounds whose launch reports sit mostly
  in an event that locates a launch and whose launch members are mostly another round's
  (the host: typically a burst from the same firing position). For each of the sibling's
  launch reports there: did its observer also report the host round, and where did that
  report go (the host event, another event, a lone report, no event).
- **slot-blocked lone reports** (:func:`slot_blocked`): lone bearings of an observer that
  holds a report in a located event up to 60 s apart, pointing at the event within 3 sd
  (what splitting "one report per observer per event" could seed a sibling from), by
  what they are, and the events where two or more observers have such a lone report of
  one round (a sibling event could stand).

Usage: ``PYTHONPATH=src:benchmarks python benchmarks/family_bursts.py --draws 1004 1033
--procs 2 [--fuse-set FIELD=JSON ...]``. Tune on the tuning draws (1000-1039) only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from family_cli import Sets, drawn, draws_main
from oracle import overridden

from ceasefire.fuse import engine
from ceasefire.model import Event
from ceasefire.pipeline import fuse_config

#: two reports of one observer this close in time are "seconds apart", s
NEAR_S = 60.0
#: a lone bearing points at an event when within this many of its sd
POINT_SD = 3.0
#: metres per degree of latitude (a lone bearing's azimuth to an event, km apart)
M_PER_DEG = 111_195.0
CLUTTER = ("clutter", "C")


@dataclass(frozen=True)
class Report:
    """One observation as the truth knows it: observer, time (s), round id and phase
    (``CLUTTER`` when of no round), observer lat/lon, bearing and its sd (deg, NaN
    for an arrival)."""

    source: str
    time_s: float
    round: tuple[str, str]
    lat: float
    lon: float
    bearing_deg: float
    sigma_deg: float


def reports_of(sc: Any) -> dict[str, Report]:
    """Per observation id, its :class:`Report`."""
    phase: dict[str, tuple[str, str]] = {}
    for r in sc.truth["rounds"]:
        phase.update((o, (r["id"], "L")) for o in r["launch_observations"])
        phase.update((o, (r["id"], "I")) for o in r["impact_observations"])
    o = sc.observations
    cols = zip(
        o.id.astype(str).tolist(), o.source.astype(str).tolist(), o.time_s.tolist(),
        o.lat.tolist(), o.lon.tolist(), o.bearing_deg.tolist(), o.bearing_sigma_deg.tolist(),
        strict=True,
    )  # fmt: skip
    return {
        i: Report(s, t, phase.get(i, CLUTTER), la, lo, b, sd) for i, s, t, la, lo, b, sd in cols
    }


def observer_pairs(events: Sequence[Event], rep: dict[str, Report]) -> Counter[str]:
    """Per kind of pair, how many events hold two reports of one observer of that
    kind (an event counted once per kind), and ``events``."""
    out: Counter[str] = Counter(events=len(events))
    for e in events:
        by: dict[str, list[Report]] = {}
        for o in e.observation_ids:
            by.setdefault(rep[o].source, []).append(rep[o])
        kinds = set()
        for rs in by.values():
            for i, a in enumerate(rs):
                for b in rs[i + 1 :]:
                    same = a.round[0] == b.round[0] and a.round != CLUTTER
                    what = "one round " if same else "two rounds or clutter "
                    near = "within" if abs(a.time_s - b.time_s) <= NEAR_S else "over"
                    phases = "".join(sorted(a.round[1] + b.round[1]))
                    kinds.add(f"{what}{phases}, {near} {NEAR_S:.0f} s")
        out.update(kinds)
    return out


def _locates_launch(e: Event) -> bool:
    return e.launch_lat is not None or (e.lat is not None and e.kind == "firing")


def merged_siblings(sc: Any, events: Sequence[Event], rep: dict[str, Report]) -> Counter[str]:
    """Rounds whose launch reports sit mostly in another round's launch event, and
    where their observers' reports of that host round went."""
    held = {o: e for e in events for o in e.observation_ids}
    rounds = {r["id"]: r for r in sc.truth["rounds"]}
    out: Counter[str] = Counter()
    for r in sc.truth["rounds"]:
        count = Counter(held[o].id for o in r["launch_observations"] if o in held)
        if not count:
            continue
        e = next(x for x in events if x.id == count.most_common(1)[0][0])
        launch = [o for o in e.observation_ids if rep[o].round[1] == "L"]
        host = Counter(rep[o].round[0] for o in launch).most_common(1)[0][0]
        if host == r["id"] or not _locates_launch(e):
            continue
        h = rounds[host]
        out["rounds whose launch sits in another round's launch event"] += 1
        out["  the host of the same party"] += h["party"] == r["party"]
        out[f"  weapon {r['weapon']}"] += 1
        dt = abs(r["launch"]["time"] - h["launch"]["time"])
        out["  launches <= 10 s apart" if dt <= 10 else "  launches > 10 s apart"] += 1
        out["  the host event's launch members"] += len(launch)
        out["  ... their observers"] += len({rep[o].source for o in launch})
        by_src = {rep[o].source: o for o in h["launch_observations"]}
        for o in r["launch_observations"]:
            if held.get(o) is not e:
                continue
            out["  the sibling's launch reports in the host event"] += 1
            ho = by_src.get(rep[o].source)
            if ho is None:
                where = "did not report the host round"
            else:
                w = held.get(ho)
                where = "reported the host round: " + (
                    "in the host event" if w is e
                    else "in no event" if w is None
                    else "a lone report" if len(w.observation_ids) == 1
                    else "in another event"
                )  # fmt: skip
            out[f"    its observer {where}"] += 1
    return out


def _points_at(lone: Report, e: Event) -> bool:
    """The lone bearing passes within ``POINT_SD`` of its sd of the event (a local
    flat frame: events are km from the observer)."""
    if not math.isfinite(lone.bearing_deg) or e.lat is None or e.lon is None:
        return False
    dy = (e.lat - lone.lat) * M_PER_DEG
    dx = (e.lon - lone.lon) * M_PER_DEG * math.cos(math.radians(lone.lat))
    off = (lone.bearing_deg - math.degrees(math.atan2(dx, dy)) + 180.0) % 360.0 - 180.0
    sd = lone.sigma_deg if math.isfinite(lone.sigma_deg) else 5.0
    return abs(off) <= POINT_SD * sd


def slot_blocked(events: Sequence[Event], rep: dict[str, Report]) -> Counter[str]:
    """Lone bearings pointing at a located event that holds their observer's report
    seconds apart, by what they are; and events with two or more observers' such
    lone reports of one round."""
    lone: dict[str, list[str]] = {}
    for e in events:
        if len(e.observation_ids) == 1:
            o = e.observation_ids[0]
            lone.setdefault(rep[o].source, []).append(o)
    out: Counter[str] = Counter()
    for e in events:
        if e.lat is None or len(e.observation_ids) < 2:
            continue
        got: dict[tuple[str, str], set[str]] = {}
        for o in e.observation_ids:
            a = rep[o]
            for lo in lone.get(a.source, []):
                b = rep[lo]
                if abs(b.time_s - a.time_s) > NEAR_S or not _points_at(b, e):
                    continue
                what = (
                    "clutter" if b.round == CLUTTER
                    else "the member's round" if b.round[0] == a.round[0]
                    else "another round"
                )  # fmt: skip
                out[f"lone bearing: {what}, member {a.round[1]}, lone {b.round[1]}"] += 1
                got.setdefault(b.round, set()).add(a.source)
        main = Counter(rep[o].round[0] for o in e.observation_ids).most_common(1)[0][0]
        for rnd, observers in got.items():
            if len(observers) >= 2:
                what = "clutter" if rnd == CLUTTER else "the event's main round"
                what = what if rnd == CLUTTER or rnd[0] == main else "another round"
                out[f"events with >= 2 observers' lone bearings of one: {what}"] += 1
    return out


def run_draw(job: tuple[int, Sets]) -> dict[str, Any]:
    """Draw ``k``'s counts (fused in this process, ``sets`` applied), ``job = (k, sets)``."""
    k, sets = job
    m, _, sc, t0, t1 = drawn(k)
    cfg = overridden(replace(fuse_config(m), workers=1), sets)
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    rep = reports_of(sc)
    return {
        "draw": k,
        "observer pairs": dict(observer_pairs(events, rep)),
        "merged siblings": dict(merged_siblings(sc, events, rep)),
        "slot-blocked lone bearings": dict(slot_blocked(events, rep)),
    }


def report(out: list[dict[str, Any]]) -> None:
    """Each part's counts pooled over the draws."""
    for part in ("observer pairs", "merged siblings", "slot-blocked lone bearings"):
        total: Counter[str] = Counter()
        for o in out:
            total.update(o[part])
        print(part)
        for key in sorted(total):
            print(f"  {key}: {total[key]}")


def main() -> int:
    return draws_main(__doc__, run_draw, report, draws=None)


if __name__ == "__main__":
    raise SystemExit(main())
