"""Explain's flight window by the truth: which lone bearings each window explains.

    .venv/bin/python benchmarks/family_explain_window.py [--draws K ...] [--procs 2]
        [--fuse-set FIELD=JSON ...] [--json out.json] [--report out.json]

``fuse/explain.py`` explains a lone bearing at a paired round's launch point; when
the round has no launch members its launch time is a window, the weapon's speed
× (1 ∓ ``speed_spread``) (any class's for an undetermined weapon). The window
decides the time test, and also the slot rule (``_held``: an observer's member
"holds" the point whose time it fits best, so a wide window lets an impact report
hold the launch point against the same observer's launch bearing).

Each draw (default: the TUNING draws 1000-1039; never tune on the test draws) is
fused as ``bench_family.py`` does, once, with each tile's call of ``explain``
recorded (its events before explanation, its context) and the events the tile
owns. Then each call is explained again under each variant of ``ExplainConfig``
(``VARIANTS``), and every owned lone bearing (no position, a bearing) that
assessment counts as a violation when nothing explains it is held against the
truth (its first bearing report's round, or clutter):

- ``double``: one of two violations the scorer finds for one true violation
  (``scoring.double_counts`` of the system with no lone bearing explained, the
  extra or the matched one: explaining it away removes a double count);
- ``true``: the only violation matched to a true one there (explaining it away
  loses the match);
- ``false``: neither (clutter, or a round's report too far off to match).

Per variant: how many of each are explained, and against the shipped window,
which it explains that the shipped one does not and the reverse (by whether the
explaining event is mostly of the bearing's round, and its weapon). The measured
variants narrow each flight window to the speed the tile's own clear pairs measure
(``_measured_points``: pairing's rule of ``fuse/speedcal.py``), inside this script
only (docs/family.md, session 26, explspeed). The "wide"
variant (a flight of any time) shows the double counts that fail the window now;
the narrower ones show which wrong joins (``sole`` explained) they drop and which
double counts they give back. The fusion itself is the shipped one (the variants
change explanation only), so the counts are exact for explanation, not the
scorer's count of double counts (``bench_family.py`` is that).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
from family_cli import Sets, drawn, draws_main
from oracle import overridden

from ceasefire.assess import assess
from ceasefire.fuse import corroborate as co_mod
from ceasefire.fuse import engine, tiles
from ceasefire.fuse import explain as ex_mod
from ceasefire.fuse.obsindex import EventRows
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.speedcal import measured
from ceasefire.geo import inverse
from ceasefire.model.results import Event
from ceasefire.model.vocab import WEAPONS
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import scoring

#: (name, ExplainConfig fields replaced, k: the measured window's sd multiple, 0
#: no windowed launch point at all, None the prior's window); the first is the
#: shipped window
VARIANTS: tuple[tuple[str, dict[str, Any], float | None], ...] = (
    ("shipped (prior, 0.3)", {}, None),
    ("wide (any flight time)", {"speed_spread": 0.95}, None),
    ("prior, 0.5", {"speed_spread": 0.5}, None),
    ("prior, 0.2", {"speed_spread": 0.2}, None),
    ("prior, 0.15", {"speed_spread": 0.15}, None),
    ("prior, 0.1", {"speed_spread": 0.1}, None),
    ("no flight windows (launch points timed by members only)", {}, 0.0),
    ("measured, 2 sd", {}, 2.0),
    ("measured, 3 sd", {}, 3.0),
    ("measured, 4 sd", {}, 4.0),
)
#: the measurement of a class's speed: pairing's own rule (fuse/speedcal.py, at
#: least 4 clear pairs, spread floor 0.03), capped by explain's 0.3
MEASURE = replace(LaunchPairConfig(), speed_spread=0.3)
CLASSES = ("double", "true", "false")


def _lone(e: Event) -> bool:
    return (e.lat is None or e.lon is None) and e.kind != "sighting" and e.bearing_deg is not None


def _unexplained(e: Event) -> Event:
    """``e`` without explanation's flags."""
    ex = ex_mod.EXPLAINED
    return replace(e, flags=tuple(f for f in e.flags if f != ex and not f.startswith(ex + "_by:")))


def _recorded(obs: Any, cfg: Any) -> tuple[list[Event], list[dict[str, Any]]]:
    """Fuse ``obs`` with ``cfg``: the events, and each call of ``explain`` from
    corroboration recorded (its arguments) with the ids of the events its tile
    owns."""
    calls: list[dict[str, Any]] = []
    pending: list[int] = []
    real_explain, real_owned = co_mod.explain, tiles._owned

    def rec_explain(
        events: Any,
        ecfg: Any,
        o: Any,
        c: float,
        ids: Any = None,
        src: Any = None,
        rows: Any = None,
    ) -> Any:
        calls.append({"events": list(events), "obs": o, "c": c, "ids": ids, "src": src})
        pending[:] = [len(calls) - 1]
        return real_explain(events, ecfg, o, c, ids, src, rows)

    def rec_owned(events: Any, *a: Any) -> Any:
        out = real_owned(events, *a)
        if pending:
            calls[pending.pop()]["owned"] = {e.id for e in out}
        return out

    co_mod.explain, tiles._owned = rec_explain, rec_owned
    try:
        events = engine.fuse(obs, cfg)
    finally:
        co_mod.explain, tiles._owned = real_explain, real_owned
    return events, calls


def _measured_points(k: float) -> Callable[..., Any]:
    """``explain._points`` whose flight windows take the speeds the call's own
    clear pairs measure (paired events whose launch time their members give, no
    ``pair_close_call``, the weapon named; ``MEASURE``'s rule): the measured speed
    × (1 ∓ min(``k`` × its spread, 0.3)) where a class is measured, else the
    prior's window; ``k`` 0: no windowed launch point at all."""
    real = ex_mod._points

    def points(located: Any, obs: Any, rows: Any, cfg: Any, c: float) -> Any:
        p = real(located, obs, rows, cfg, c)
        n = len(located)
        if p.event.shape[0] == n:
            return p
        if k == 0.0:  # the launch points timed by their members only
            keep = np.flatnonzero(p.t_lo == p.t_hi)
            fields = ex_mod._Points.__dataclass_fields__
            return ex_mod._Points(*(getattr(p, f)[keep] for f in fields))
        j = np.arange(n, p.event.shape[0])
        ev = [located[int(q)] for q in p.event[j]]
        t = np.array([e.time_s for e in ev])
        _, dist = inverse(p.lat[p.event[j]], p.lon[p.event[j]], p.lat[j], p.lon[j])
        code = np.array([WEAPONS.index(e.weapon) for e in ev], np.intp)
        timed = p.t_lo[j] == p.t_hi[j]
        clear = timed & np.array(["pair_close_call" not in e.flags for e in ev], bool)
        got = measured(MEASURE, dist[clear], t[clear] - p.t_lo[j][clear], code[clear])
        if got is MEASURE:
            return p
        lo, hi = p.t_lo.copy(), p.t_hi.copy()
        for name, sd in (got.weapon_spread or {}).items():
            v = got.weapons[name].speed_m_s
            w = min(k * sd, cfg.speed_spread)
            q = np.flatnonzero(~timed & (code == WEAPONS.index(name)))
            lo[j[q]] = t[q] - dist[q] / (v * max(1.0 - w, 0.05))
            hi[j[q]] = t[q] - dist[q] / (v * (1.0 + w))
        return replace(p, t_lo=lo, t_hi=hi)

    return points


@contextmanager
def _windows_of(k: float | None) -> Iterator[None]:
    """Explain with measured flight windows (``k``) in this block, or as shipped."""
    if k is None:
        yield
        return
    real = ex_mod._points
    ex_mod._points = _measured_points(k)
    try:
        yield
    finally:
        ex_mod._points = real


def _named(weapon: str | None) -> str:
    return "an undetermined weapon" if weapon in (None, "undetermined") else "a named weapon"


def _windows(
    ev: list[Event],
    owned: set[str],
    t0: float,
    t1: float,
    obs: Any,
    call: dict[str, Any],
    ecfg: Any,
) -> collections.Counter[str]:
    """The paired events the tile owns by their launch point's time: from launch
    members, or a flight window (by a named weapon or not), and of those how many
    a measured speed narrows (:func:`_measured_points`, 3 sd)."""
    out: collections.Counter[str] = collections.Counter()
    located = [
        e
        for e in ev
        if e.lat is not None
        and e.lon is not None
        and e.kind != "sighting"
        and "single_observer" not in e.flags
    ]
    rows = EventRows.of(call["ids"], located)
    pts = ex_mod._points(located, obs, rows, ecfg, call["c"])
    meas = _measured_points(3.0)(located, obs, rows, ecfg, call["c"])
    n = len(located)
    for j in range(n, pts.event.shape[0]):
        e = located[int(pts.event[j])]
        if e.id not in owned or not t0 <= e.time_s < t1:
            continue
        if pts.t_lo[j] == pts.t_hi[j]:
            out["paired: launch timed by members"] += 1
            continue
        out[f"paired: a flight window, {_named(e.weapon)}"] += 1
        if meas.t_lo[j] != pts.t_lo[j]:
            out["paired: a flight window, measured"] += 1
    return out


def run_draw(job: tuple[int, Sets]) -> dict[str, Any]:
    """Lone bearings explained under each variant, by the truth (module docstring)."""
    k, sets = job
    m, _, sc, t0, t1 = drawn(k)
    cfg = replace(overridden(fuse_config(m), sets), workers=1)
    events, calls = _recorded(sc.observations, cfg)
    # the scorer's reading of the system with no lone bearing explained: which
    # lone bearings are double counts, which are matched (true rounds), the rest
    # false violations
    plain = [_unexplained(e) if _lone(e) else e for e in events if t0 <= e.time_s < t1]
    system = scoring.system_from_features([violation_feature(v) for v in assess(plain, m)])
    dcs = scoring.double_counts(sc.truth, system)
    twice = {dc.truth["id"] for dc in dcs}
    # of a truth counted twice, either violation is a double count (the scorer's
    # pick of which is matched is its own)
    double = {o for dc in dcs for o in system[dc.extra].obs}
    double |= {
        o for q, tv in scoring.matched_truth(sc.truth, system) if tv["id"] in twice
        for o in system[q].obs
    }  # fmt: skip
    true = {o for q, _ in scoring.matched_truth(sc.truth, system) for o in system[q].obs}
    in_play = {o for v in system for o in v.obs}
    of: dict[str, str] = {}
    for r in sc.truth["rounds"]:
        of.update(dict.fromkeys(r["launch_observations"] + r["impact_observations"], r["id"]))
    ecfg = cfg.corroboration.explain
    # per lone event id: (class, {variant: explained})
    lone: dict[str, str] = {}
    explained: dict[str, dict[str, bool]] = collections.defaultdict(dict)
    explainer: dict[str, dict[str, tuple[str, str]]] = collections.defaultdict(dict)
    round_of: dict[str, str] = {}
    windows: collections.Counter[str] = collections.Counter()
    for call in calls:
        owned = call.get("owned")
        if owned is None:
            continue
        ev = call["events"]
        mine = [q for q, e in enumerate(ev) if e.id in owned and t0 <= e.time_s < t1 and _lone(e)]
        if not mine:
            continue
        obs = call["obs"]
        for q in mine:
            e = ev[q]
            # explain's row: the lone event's first bearing report
            rows = np.sort(call["ids"].rows(list(e.observation_ids)))
            rows = rows[np.isfinite(obs.bearing_deg[rows])]
            first = str(obs.id[rows[0]]) if rows.shape[0] else None
            if first not in in_play:
                continue
            rnd = of.get(first or "", "")
            lone[e.id] = "double" if first in double else ("true" if first in true else "false")
            round_of[e.id] = rnd
        windows.update(_windows(ev, owned, t0, t1, obs, call, ecfg))
        for name, change, k_sd in VARIANTS:
            with _windows_of(k_sd):
                out = ex_mod.explain(
                    ev, replace(ecfg, **change), obs, call["c"], call["ids"], call["src"]
                )
            by_id = {e.id: e for e in out}
            for q in mine:
                by = ex_mod.explained_by(out[q])
                explained[ev[q].id][name] = by is not None
                if by is not None:
                    ex = by_id[by]
                    most = collections.Counter(of.get(o, "") for o in ex.observation_ids)
                    explainer[ev[q].id][name] = (ex.weapon, most.most_common(1)[0][0])
    counts: dict[str, dict[str, int]] = {name: collections.Counter() for name, *_ in VARIANTS}
    base = VARIANTS[0][0]
    for eid, cls in lone.items():
        for name, *_ in VARIANTS:
            x, b = explained[eid][name], explained[eid][base]
            counts[name][f"{cls} explained"] += int(x)
            counts[name][f"{cls} +"] += int(x and not b)
            counts[name][f"{cls} -"] += int(b and not x)
            if x != b:
                w, rnd = explainer[eid][name if x else base]
                own = "its own round's" if rnd and rnd == round_of[eid] else "another round's"
                counts[name][f"{cls} {'+' if x else '-'} by {own} event, {_named(w)}"] += 1
    return {
        "draw": k,
        "lone": dict(collections.Counter(lone.values())),
        "windows": dict(windows),
        "counts": {n: dict(c) for n, c in counts.items()},
    }


def report(rows: list[dict[str, Any]]) -> None:
    """Print the tables of ``run_draw``'s rows."""
    lone: collections.Counter[str] = collections.Counter()
    for r in rows:
        lone.update(r["lone"])
    print(
        f"{len(rows)} draws; lone bearings owned: " + ", ".join(f"{c} {lone[c]}" for c in CLASSES)
    )
    windows: collections.Counter[str] = collections.Counter()
    for r in rows:
        windows.update(r["windows"])
    print("paired events owned: " + ", ".join(f"{k} {v}" for k, v in sorted(windows.items())))
    head = ["variant"] + [f"{c} explained (+ / -)" for c in CLASSES]
    print("| " + " | ".join(head) + " |")
    print("|---|---|---|---|")
    changed: list[str] = []
    for name, *_ in VARIANTS:
        tot: collections.Counter[str] = collections.Counter()
        for r in rows:
            tot.update(r["counts"][name])
        cells = [f"{tot[f'{c} explained']} (+{tot[f'{c} +']} / -{tot[f'{c} -']})" for c in CLASSES]
        print(f"| {name} | " + " | ".join(cells) + " |")
        changed += [f"  {name}: {k} {v}" for k, v in sorted(tot.items()) if " by " in k]
    print("changes against the shipped window, by the explaining event (its round, weapon):")
    print("\n".join(changed) or "  none")


def main() -> int:
    return draws_main(__doc__, run_draw, report)


if __name__ == "__main__":
    raise SystemExit(main())
