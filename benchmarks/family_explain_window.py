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
(``VARIANTS``), and every owned lone bearing (no position, a bearing) is held
against the truth (its first bearing report's round and phase, or clutter):

- ``double``: a lone bearing of a round that another violation counts already
  (an event with a position holds a report of the same round; explaining it away
  removes a double count);
- ``sole``: a lone bearing of a round no located event holds (explaining it
  away loses a true round, unless another lone event of the round stays);
- ``clutter``: not a round's report (explaining it away removes a false one).

Per variant: how many of each are explained, and against the shipped window,
which it explains that the shipped one does not and the reverse. The "wide"
variant (a flight of any time) shows the double counts that fail the window now;
the narrower ones show which wrong joins (``sole`` explained) they drop and which
double counts they give back. The fusion itself is the shipped one (the variants
change explanation only), so the counts are exact for explanation, not the
scorer's count of double counts (``bench_family.py`` is that).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_family import _fuse_set
from oracle import overridden

from ceasefire.fuse import corroborate as co_mod
from ceasefire.fuse import engine, tiles
from ceasefire.fuse import explain as ex_mod
from ceasefire.mandate import load_mandate
from ceasefire.model.results import Event
from ceasefire.pipeline import fuse_config
from ceasefire.simulate.family import get_family, simulate_draw

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
TUNING_DRAWS = tuple(range(1000, 1040))
#: (name, ExplainConfig fields replaced); the first is the shipped window
VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("shipped (prior, 0.3)", {}),
    ("wide (any flight time)", {"speed_spread": 0.95}),
    ("prior, 0.2", {"speed_spread": 0.2}),
    ("prior, 0.15", {"speed_spread": 0.15}),
    ("prior, 0.1", {"speed_spread": 0.1}),
    ("measured, 2 sd", {"measured_speeds": True, "measured_sd_k": 2.0}),
    ("measured, 3 sd", {"measured_speeds": True, "measured_sd_k": 3.0}),
    ("measured, 4 sd", {"measured_speeds": True, "measured_sd_k": 4.0}),
    ("undetermined by range", {"undetermined_by_range": True}),
    (
        "measured 3 sd + undetermined by range",
        {"measured_speeds": True, "measured_sd_k": 3.0, "undetermined_by_range": True},
    ),
)
CLASSES = ("double", "sole", "clutter")

Sets = tuple[tuple[str, Any], ...]


def _lone(e: Event) -> bool:
    return (e.lat is None or e.lon is None) and e.kind != "sighting" and e.bearing_deg is not None


def _recorded(obs: Any, cfg: Any) -> list[dict[str, Any]]:
    """Fuse ``obs`` with ``cfg``, recording each call of ``explain`` from
    corroboration (its arguments) and the ids of the events its tile owns."""
    calls: list[dict[str, Any]] = []
    pending: list[int] = []
    real_explain, real_owned = co_mod.explain, tiles._owned

    def rec_explain(events: Any, ecfg: Any, o: Any, c: float, ids: Any = None, src: Any = None) -> Any:
        calls.append({"events": list(events), "obs": o, "c": c, "ids": ids, "src": src})
        pending[:] = [len(calls) - 1]
        return real_explain(events, ecfg, o, c, ids, src)

    def rec_owned(events: Any, *a: Any) -> Any:
        out = real_owned(events, *a)
        if pending:
            calls[pending.pop()]["owned"] = {e.id for e in out}
        return out

    co_mod.explain, tiles._owned = rec_explain, rec_owned
    try:
        engine.fuse(obs, cfg)
    finally:
        co_mod.explain, tiles._owned = real_explain, real_owned
    return calls


def _named(weapon: str | None) -> str:
    return "an undetermined weapon" if weapon in (None, "undetermined") else "a named weapon"


def _windows(
    ev: list[Event], owned: set[str], t0: float, t1: float, obs: Any, call: dict[str, Any], ecfg: Any
) -> collections.Counter[str]:
    """The paired events the tile owns by their launch point's time: from launch
    members, or a flight window (by a named weapon or not), and of those how many
    a measured speed narrows (``measured_speeds``, 3 sd)."""
    out: collections.Counter[str] = collections.Counter()
    located = [
        e
        for e in ev
        if e.lat is not None
        and e.lon is not None
        and e.kind != "sighting"
        and "single_observer" not in e.flags
    ]
    pts = ex_mod._points(located, obs, call["ids"], ecfg, call["c"])
    meas = ex_mod._points(
        located, obs, call["ids"], replace(ecfg, measured_speeds=True), call["c"]
    )
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
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    cfg = replace(overridden(fuse_config(m), sets), workers=1)
    calls = _recorded(sc.observations, cfg)
    of: dict[str, str] = {}
    for r in sc.truth["rounds"]:
        of.update(dict.fromkeys(r["launch_observations"] + r["impact_observations"], r["id"]))
    ecfg = cfg.corroboration.explain
    # per lone event id: (class, {variant: explained})
    lone: dict[str, str] = {}
    explained: dict[str, dict[str, bool]] = collections.defaultdict(dict)
    explainer: dict[str, dict[str, str]] = collections.defaultdict(dict)
    windows: collections.Counter[str] = collections.Counter()
    for call in calls:
        owned = call.get("owned")
        if owned is None:
            continue
        ev = call["events"]
        mine = [
            q for q, e in enumerate(ev) if e.id in owned and t0 <= e.time_s < t1 and _lone(e)
        ]
        if not mine:
            continue
        located_rounds = {
            of[o]
            for e in ev
            if e.lat is not None and e.kind != "sighting"
            for o in e.observation_ids
            if o in of
        }
        obs = call["obs"]
        for q in mine:
            e = ev[q]
            rows = call["ids"].rows(list(e.observation_ids)) if call["ids"] else None
            first = None
            if rows is not None:
                with_b = [int(r) for r in sorted(rows.tolist()) if obs.bearing_deg[r] == obs.bearing_deg[r]]
                first = str(obs.id[with_b[0]]) if with_b else None
            rnd = of.get(first or "", "")
            lone[e.id] = "clutter" if not rnd else ("double" if rnd in located_rounds else "sole")
        windows.update(_windows(ev, owned, t0, t1, obs, call, ecfg))
        for name, change in VARIANTS:
            out = ex_mod.explain(
                ev, replace(ecfg, **change), obs, call["c"], call["ids"], call["src"]
            )
            by_id = {e.id: e for e in out}
            for q in mine:
                by = ex_mod.explained_by(out[q])
                explained[ev[q].id][name] = by is not None
                if by is not None:
                    explainer[ev[q].id][name] = by_id[by].weapon
    counts: dict[str, dict[str, int]] = {name: collections.Counter() for name, _ in VARIANTS}
    base = VARIANTS[0][0]
    for eid, cls in lone.items():
        for name, _ in VARIANTS:
            x, b = explained[eid][name], explained[eid][base]
            counts[name][f"{cls} explained"] += int(x)
            counts[name][f"{cls} +"] += int(x and not b)
            counts[name][f"{cls} -"] += int(b and not x)
            if x != b:
                w = explainer[eid][name if x else base]
                counts[name][f"{cls} {'+' if x else '-'} by {_named(w)}"] += 1
    return {
        "draw": k,
        "lone": dict(collections.Counter(lone.values())),
        "windows": dict(windows),
        "counts": {n: dict(c) for n, c in counts.items()},
    }


def report(rows: list[dict[str, Any]]) -> None:
    lone: collections.Counter[str] = collections.Counter()
    for r in rows:
        lone.update(r["lone"])
    print(
        f"{len(rows)} draws; lone bearings owned: "
        + ", ".join(f"{c} {lone[c]}" for c in CLASSES)
    )
    print(
        "| variant | doubles explained (+ / -) | sole explained (+ / -) | clutter explained (+ / -) |"
    )
    print("|---|---|---|---|")
    windows: collections.Counter[str] = collections.Counter()
    for r in rows:
        windows.update(r["windows"])
    print("paired events owned: " + ", ".join(f"{k} {v}" for k, v in sorted(windows.items())))
    changed: list[str] = []
    for name, _ in VARIANTS:
        tot: collections.Counter[str] = collections.Counter()
        for r in rows:
            tot.update(r["counts"][name])
        cells = [f"{tot[f'{c} explained']} (+{tot[f'{c} +']} / -{tot[f'{c} -']})" for c in CLASSES]
        print(f"| {name} | " + " | ".join(cells) + " |")
        changed += [f"  {name}: {k} {v}" for k, v in sorted(tot.items()) if " by " in k]
    print("changes against the shipped window, by the explaining event's weapon:")
    print("\n".join(changed) or "  none")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, nargs="*", default=list(TUNING_DRAWS))
    ap.add_argument("--procs", type=int, default=2, help="draws in parallel (at most 2)")
    ap.add_argument("--fuse-set", action="append", default=[], type=_fuse_set, metavar="FIELD=JSON")
    ap.add_argument("--json", type=Path, help="also write the per-draw rows here")
    ap.add_argument("--report", type=Path, help="print the tables of a --json file again")
    a = ap.parse_args()
    if a.report:
        report(json.loads(a.report.read_text()))
        return 0
    jobs = [(k, tuple(a.fuse_set)) for k in a.draws]
    if a.procs > 1:
        with mp.get_context("fork").Pool(min(a.procs, 2)) as pool:
            rows = pool.map(run_draw, jobs, chunksize=1)
    else:
        rows = [run_draw(j) for j in jobs]
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    report(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
