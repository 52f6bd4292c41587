"""Where a round's other launch reports are when its event locates no launch (issue 21;
tuning draws only).

    PYTHONPATH=src:benchmarks python benchmarks/family_launches.py [--draws K ...]
        [--procs 2] [--events DIR] [--json out.json] [--report out.json]

Session 30's largest causes of the undetermined excess (``family_attribution.py``'s
:func:`~family_attribution.undetermined_cause`, on a true violation the system leaves
undetermined and the oracle names) are "no launch located: its launch reports in this
event, unlocated" and "... in another round's located launch". Per such violation,
every launch report of its true round that is not in the system's event is read
(:func:`where_launch`) as one of

- **same observer**: its observer has a launch report of the round in the event
  already (an event keeps one report per observer);
- **in no event** (fusion kept none);
- **left lone**: in an event of its own, unlocated;
- **a sibling's event**: in an event most of whose round reports are another round's
  of the same burst (``family_burst_rounds.bursts_of``); **another round's event**
  (not of the burst); **this round's other event** (the round split); **with
  clutter** (more of its reports of no round than of any one round), each located
  or not;

and a launch *bearing* not in the event, against the event's own launch bearing, by
association's two-bearing pair test (:func:`pair_test`, ``pairs.bearing_pairs``'s gates
in their order, with the observers as stated: no registration): one observer, phases
named apart, times apart (by how many s beyond the sound's way), rays not crossing in
front (behind, under the crossing angle, beyond the range), the chi-square over the
gate (by how much), or the pair passing every gate.

``--events DIR``: the fused events ``family_attribution.py --events DIR`` keeps (system
and oracle) are read from there (fused and kept when missing; with ``--fuse-set``, give
another DIR: the kept events are read whatever the config).
"""

from __future__ import annotations

import collections
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import family_attribution as fa
import numpy as np
from family_burst_rounds import bursts_of
from family_cli import drawn, map_draws, parser
from oracle import Oracle, overridden, patched

from ceasefire.assess import assess
from ceasefire.assess.sides import AttributionConfig
from ceasefire.fuse import engine
from ceasefire.fuse.association.gates import quantile
from ceasefire.fuse.association.pairs import PairConfig, pair_chi2
from ceasefire.fuse.association.reports import DIR_UNDET, Reports
from ceasefire.fuse.association.seeding import SeedConfig, fits_one, reach_seeds
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.triangulate import intersect_rays
from ceasefire.model import Event
from ceasefire.model.vocab import KINDS
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.scoring import matched_truth, system_from_features

#: the two classes read (``family_attribution.undetermined_cause``), by a short name
CLASSES = {
    "no launch located: its launch reports in this event, unlocated": "in this event",
    "no launch located: its launch reports in another round's located launch": "a sibling's",
}


def pair_test(rep: Reports, a: int, b: int, cfg: PairConfig) -> tuple[str, float]:
    """Why bearing rows ``a`` and ``b`` of ``rep`` are (not) a pair, by
    ``pairs.bearing_pairs``'s gates in their order, and by how much: the time gap
    beyond the sound's way (s), the crossing's sine, the chi-square over the gate (x
    the gate), or 0."""
    rows, c, R = rep.rows, rep.c, rep.max_range_m
    if rep.src[a] == rep.src[b]:
        return "one observer", 0.0
    pa, pb = int(rep.direction[a]), int(rep.direction[b])
    if pa != pb and DIR_UNDET not in (pa, pb):
        return "phases named apart", 0.0
    i, j = np.array([a]), np.array([b])
    d_obs = float(np.hypot(rows.ox[b] - rows.ox[a], rows.oy[b] - rows.oy[a]))
    fi, fj = float(rows.speed_factor[a]), float(rows.speed_factor[b])
    way = fi * d_obs if fi == fj else 1.2 * R
    s2 = float(rows.sigma_t[a] ** 2 + rows.sigma_t[b] ** 2)
    gap = abs(float(rows.t[b] - rows.t[a])) - (way / c + 4.0 * np.sqrt(s2))
    if gap > 1e-9:
        return "times apart", gap
    x, y, r1, r2, sn = intersect_rays(
        rows.ox[i], rows.oy[i], rows.az[i], rows.ox[j], rows.oy[j], rows.az[j]
    )
    if not (abs(float(sn[0])) >= np.sin(np.radians(cfg.min_crossing_deg))):
        return "rays under the crossing angle", float(abs(sn[0]))
    if not (float(r1[0]) > 0 and float(r2[0]) > 0):
        return "rays cross behind an observer", float(min(r1[0], r2[0]))
    if max(float(r1[0]), float(r2[0])) > 1.2 * R:
        return "rays cross beyond the range", float(max(r1[0], r2[0]))
    chi2, _, dof = pair_chi2(rows, i, j, x, y, c)
    gate = float(quantile(cfg.gate_p, dof)[0])
    if float(chi2[0]) > gate:
        return "chi-square over the gate", float(chi2[0]) / gate
    return "a pair by every gate", float(chi2[0]) / gate


def ray_seed_test(rep: Reports, b: int, arrivals: Sequence[int], cfg: SeedConfig) -> str:
    """Whether bearing row ``b`` and arrival rows ``arrivals`` of ``rep`` (the round's
    free launch arrivals) would seed an event by themselves, as the ray seeds do
    (``seeding.reach_seeds``: within ``cfg.sensor_m`` with two arrivals or more,
    else within ``cfg.far_m`` with ``cfg.far_arrivals``; the hearing law not read:
    only these rows are given), and whether the seed's fit stands
    (``seeding.fits_one``; with two arrivals it has no degree of freedom)."""
    idx = np.array([b, *arrivals], np.intp)
    idx = idx[np.argsort(rep.rows.t[idx], kind="stable")]
    sub = Reports(rep.rows.take(idx), rep.src[idx], rep.direction[idx], rep.c, rep.max_range_m)
    free = np.full(idx.shape[0], -1, np.intp)
    bb = int(np.flatnonzero(idx == b)[0])
    for name, reach, least in (("near", cfg.sensor_m, 2), ("far", cfg.far_m, cfg.far_arrivals)):
        # one bearing: one seed at most (``ms``: each member row's seed)
        ms, mr, x, y, T = reach_seeds(sub, free, reach, min_arrivals=least)
        if x.shape[0] == 0:
            continue
        a = mr[(ms == 0) & (mr != bb)]
        n = a.shape[0]
        k = 0
        stands = fits_one(sub, bb, a, float(x[k]), float(y[k]), float(T[k]))
        dof = "fit stands" if stands else ("no dof" if n <= 2 else "fit fails")
        return f"a {name} seed of {min(n, 4)}{'+' if n > 4 else ''} arrivals, {dof}"
    ar = np.asarray(arrivals, np.intp)
    d = np.hypot(rep.rows.ox[ar] - rep.rows.ox[b], rep.rows.oy[ar] - rep.rows.oy[b])
    near, reach = int((d <= cfg.sensor_m).sum()), int((d <= cfg.far_m).sum())
    if reach == 0:
        return "no seed: every sensor beyond far_m"
    if near >= 2:
        return "no seed: near arrivals disagree along the ray"
    if reach >= cfg.far_arrivals:
        return "no seed: far arrivals disagree along the ray"
    return "no seed: too few arrivals (< 2 near, < far_arrivals within far_m)"


def _round_of(rounds: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {
        o: rid
        for rid, r in rounds.items()
        for o in (*r["launch_observations"], *r["impact_observations"])
    }


def where_launch(
    o: str,
    e: Event,
    rid: str,
    launch: Collection[str],
    held: Mapping[str, Event],
    round_of: Mapping[str, str],
    burst: Mapping[str, int],
    source: Mapping[str, str],
) -> str:
    """Where launch report ``o`` of round ``rid`` is, the round's violation being
    ``e``'s (module docstring); ``launch``: the round's launch reports, ``held``:
    each report's event, ``round_of``: each round report's round, ``burst``: each
    round's burst, ``source``: each report's observer."""
    mine = {source[x] for x in e.observation_ids if x in launch}
    if source[o] in mine:
        return "same observer"
    h = held.get(o)
    if h is None:
        return "in no event"
    if len(h.observation_ids) == 1 and h.lat is None:
        return "left lone"
    count = collections.Counter(round_of[x] for x in h.observation_ids if x in round_of)
    located = "located" if h.lat is not None else "unlocated"
    n_clutter = len(h.observation_ids) - sum(count.values())
    if not count or n_clutter > count.most_common(1)[0][1]:
        return f"with clutter ({located})"
    top = count.most_common(1)[0][0]
    if top == rid:
        return f"this round's other event ({located})"
    if burst.get(top) == burst.get(rid):
        return f"a sibling's event ({located})"
    return f"another round's event ({located})"


def _events(sc: Any, m: Any, t0: float, t1: float, key: str) -> list[Event]:
    events: list[Event] = fa._fused(sc, m, t0, t1, key)
    return events


def run_draw(k: int) -> list[dict[str, Any]]:
    """Draw ``k``: one row per launch report of a class violation's round (module
    docstring) that is not in the system's event."""
    m, _, sc, t0, t1 = drawn(k)
    sys_rows = fa._rows(sc, m, t0, t1, f"{k}-system")
    undo = patched(Oracle(sc.truth))
    try:
        orc_rows = fa._rows(sc, m, t0, t1, f"{k}-oracle")
    finally:
        undo()
    orc_named = {r["truth"] for r in orc_rows if r["named"]}
    cls = {
        r["truth"]: CLASSES[c]
        for r in sys_rows
        if not r["named"] and r["truth"] in orc_named
        and (c := fa.undetermined_cause(r)) in CLASSES
    }  # fmt: skip
    # the draw's undetermined shares (for the gap each cause makes: :func:`ceilings`)
    summary = {
        "draw": k,
        "class": "summary",
        "n_system": len(sys_rows),
        "undetermined_system": sum(not r["named"] for r in sys_rows),
        "n_oracle": len(orc_rows),
        "undetermined_oracle": sum(not r["named"] for r in orc_rows),
    }
    if not cls:
        return [summary]
    events = _events(sc, m, t0, t1, f"{k}-system")
    by_id = {e.id: e for e in events}
    held = {o: e for e in events for o in e.observation_ids}
    vs = assess(events, m, AttributionConfig.for_mandate(m))
    system = system_from_features([violation_feature(v) for v in vs])
    rounds = {r["id"]: r for r in sc.truth.get("rounds", [])}
    round_of = _round_of(rounds)
    burst = {r["id"]: b for b, rs in enumerate(bursts_of(list(rounds.values()))) for r in rs}
    burst_n = collections.Counter(burst.values())
    obs = sc.observations
    ids = obs.id.tolist()
    source = dict(zip(ids, obs.source.tolist(), strict=True))
    kinds = obs.kind
    # association's view of the draw's acoustic reports, observers as stated
    cfg = fuse_config(m)
    acoustic = np.flatnonzero(kinds != KINDS.index("sighting"))
    ac = obs.take(acoustic)
    rows = engine._rows(ac, Grid.about(ac.lat, ac.lon), cfg)
    rep, _ = engine._reports(ac, rows, cfg)
    row_of = {x: i for i, x in enumerate(ac.id.tolist())}
    out: list[dict[str, Any]] = []
    for i, tv in matched_truth(sc.truth, system):
        if tv["id"] not in cls or len(vs[i].event_ids) != 1:
            continue
        e = by_id[vs[i].event_ids[0]]
        rid = str(tv.get("round", ""))
        rnd = rounds[rid]
        launch = list(rnd["launch_observations"])
        in_e = [o for o in launch if o in set(e.observation_ids)]
        # the event's launch bearing the others are tried against (its first)
        mine = [row_of[o] for o in in_e if o in row_of and rep.is_bearing[row_of[o]]]
        free_arr = [
            row_of[o] for o in launch
            if o in row_of and o not in held and not rep.is_bearing[row_of[o]]
        ]  # fmt: skip
        seed = ""
        if mine and free_arr:
            seed = ray_seed_test(rep, mine[0], free_arr, cfg.association.seeds)
        for o in launch:
            if o in in_e:
                continue
            r = row_of.get(o)
            bearing = r is not None and bool(rep.is_bearing[r])
            test, by = ("no bearing in the event", 0.0) if not mine else ("", 0.0)
            # an arrival: how far its sensor is from the event's launch bearing's
            # observer (ray seeds try sensors within ``seeds.sensor_m``, then ``far_m``)
            km = float("nan")
            if mine and r is not None:
                km = 1e-3 * float(
                    np.hypot(rows.ox[r] - rows.ox[mine[0]], rows.oy[r] - rows.oy[mine[0]])
                )
            if not bearing:
                test = "an arrival (no bearing)"
            elif mine:
                assert r is not None
                test, by = pair_test(rep, mine[0], r, cfg.association.pairs)
            out.append(
                {
                    "draw": k,
                    "truth": tv["id"],
                    "class": cls[tv["id"]],
                    "n_launch": len(launch),
                    "in_event": len(in_e),
                    "burst_rounds": burst_n[burst[rid]],
                    "where": where_launch(o, e, rid, launch, held, round_of, burst, source),
                    "bearing": bearing,
                    "test": test,
                    "by": by,
                    "sensor_km": km,
                    "seen": bool(mine) and float(rows.speed_factor[mine[0]]) == 0.0,
                    "seed": seed,
                }
            )
    # the class cases with no other launch report: one row each, where "none"
    seen = {r["truth"] for r in out}
    for t, c in cls.items():
        if t not in seen:
            out.append({"draw": k, "truth": t, "class": c, "where": "none", "test": ""})
    return [*out, summary]


def ceilings(rows: Sequence[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """The undetermined gap (system minus oracle, points; median and worst decile
    over the draws) as it is, and were each cause's violations (:func:`case_cause`,
    both classes) named as the oracle names them."""
    draws = {r["draw"]: r for r in rows if r["class"] == "summary"}
    cases: dict[tuple[int, str], list[dict[str, Any]]] = collections.defaultdict(list)
    for r in rows:
        if r["class"] in CLASSES.values():
            cases[(r["draw"], r["truth"])].append(r)
    cause = {key: f"{v[0]['class']}: {case_cause(v)}" for key, v in cases.items()}

    def gap(flipped: set[tuple[int, str]]) -> tuple[float, float]:
        g = []
        for k, d in sorted(draws.items()):
            if not d["n_system"] or not d["n_oracle"]:
                continue
            und = d["undetermined_system"] - sum(1 for key in flipped if key[0] == k)
            g.append(100.0 * (und / d["n_system"] - d["undetermined_oracle"] / d["n_oracle"]))
        return float(np.median(g)), float(np.percentile(g, 90))

    out = {"as it is": gap(set())}
    for c in sorted(set(cause.values())):
        out[c] = gap({key for key, v in cause.items() if v == c})
    out["every cause but no other launch report"] = gap(
        {key for key, v in cause.items() if not v.endswith("no other launch report")}
    )
    return out


def case_cause(rows: Sequence[dict[str, Any]]) -> str:
    """One violation's cause (``rows``: its other launch reports' rows), the first
    that holds: no other launch report; a bearing that pairs with the event's by
    every gate, in another event (a rival took it); free arrivals that seed with
    the event's bearing by themselves and stand (association lost them); free
    arrivals the event's bearing cannot seed: it is seen (solved as heard), or
    too few (fewer than two within ``sensor_m`` and than ``far_arrivals`` within
    ``far_m``), or they disagree along its ray; no launch bearing in the event
    (the round's bearings mostly in which event); bearings in other events by
    another gate; the rest."""
    if all(r["where"] == "none" for r in rows):
        return "no other launch report"
    if any(r["bearing"] and r["test"] == "a pair by every gate" for r in rows):
        return "a bearing pairing with the event's, in another event"
    seed = next((r["seed"] for r in rows if r.get("seed")), "")
    if seed.startswith("a "):
        return "free arrivals seeding with the event's bearing alone (lost)"
    if seed:
        if rows[0]["seen"]:
            return "free arrivals, the event's bearing seen: no seed"
        return "free arrivals, " + seed
    bearings = [r for r in rows if r["bearing"]]
    if bearings and all(r["test"] == "no bearing in the event" for r in bearings):
        # the event holds none of the round's launch bearings: where most of them are
        top = collections.Counter(r["where"].split(" (")[0] for r in bearings).most_common(1)
        return f"no launch bearing in the event; its bearings mostly in {top[0][0]}"
    if bearings:
        return "bearings in other events, refused by a gate"
    return "other (arrivals held elsewhere, no bearing in the event)"


def report(rows: Sequence[dict[str, Any]]) -> None:
    """The tables: per class, the cases and their other launch reports by where they
    are, and the bearings among them by the pair test."""
    print("| the gap, were these named as the oracle names them | median | worst decile |")
    print("|---|---|---|")
    for c, (med, worst) in ceilings(rows).items():
        print(f"| {c} | {med:+.2f} | {worst:+.2f} |")
    for c in CLASSES.values():
        mine = [r for r in rows if r["class"] == c]
        cases = {(r["draw"], r["truth"]) for r in mine}
        none = sum(r["where"] == "none" for r in mine)
        reps = [r for r in mine if r["where"] != "none"]
        print(f"\n## {c}: {len(cases)} violations, {none} with no other launch report")
        print(f"{len(reps)} other launch reports ({sum(r['bearing'] for r in reps)} bearings)")
        print("| where | reports | bearings | violations |")
        print("|---|---|---|---|")
        for w, n in collections.Counter(r["where"] for r in reps).most_common():
            b = sum(r["bearing"] for r in reps if r["where"] == w)
            v = len({(r["draw"], r["truth"]) for r in reps if r["where"] == w})
            print(f"| {w} | {n} | {b} | {v} |")
        cases_rows = collections.defaultdict(list)
        for r in mine:
            cases_rows[(r["draw"], r["truth"])].append(r)
        print("\n| the violation's cause | violations |")
        print("|---|---|")
        causes = collections.Counter(case_cause(v) for v in cases_rows.values())
        for cause, n in causes.most_common():
            print(f"| {cause} | {n} |")
        seeds = collections.Counter(
            next((r["seed"] for r in v if r.get("seed")), "") for v in cases_rows.values()
        )
        print("\n| the event's bearing with the round's free arrivals | violations |")
        print("|---|---|")
        for seed, n in seeds.most_common():
            if seed:
                print(f"| {seed} | {n} |")
        print("\n| where | pair test against the event's launch bearing | reports | median by |")
        print("|---|---|---|---|")
        keyed = collections.defaultdict(list)
        for r in reps:
            keyed[(r["where"], r["test"])].append(r["by"])
        for (w, t), bys in sorted(keyed.items(), key=lambda kv: -len(kv[1])):
            print(f"| {w} | {t} | {len(bys)} | {np.median(bys):.3g} |")


def _with_sets(sets: Sequence[tuple[str, Any]]) -> None:
    """Fuse (system and oracle) with ``sets`` changed (``--fuse-set``)."""
    shipped = fa.fuse_config

    def changed(m: Any) -> Any:
        return overridden(shipped(m), sets)

    fa.fuse_config = changed


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--events", type=Path, help="the fused events kept here (and reused)")
    a = ap.parse_args()
    if a.report:
        import json

        report(json.loads(a.report.read_text()))
        return 0
    if any(0 <= k < 1000 for k in a.draws):
        ap.error("tuning draws only (K >= 1000): the test draws are for measuring")
    if a.fuse_set:
        _with_sets(a.fuse_set)
    if a.events is not None:
        a.events.mkdir(parents=True, exist_ok=True)
        fa.EVENTS_DIR = a.events
    rows = [r for d in map_draws(run_draw, a.draws, a.procs) for r in d]
    if a.json:
        import json

        a.json.write_text(json.dumps(rows, indent=1))
    report(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
