"""Fusion on a scenario family, against the oracle-association ceiling of each draw.

    .venv/bin/python benchmarks/bench_family.py [--set test|tuning] [--family varied]
        [--draws K ...] [--procs 2] [--json out.json] [--quick] [--report out.json]
        [--tile-s none|SECONDS] [--fuse-set FIELD=JSON ...] [--ceilings oracle,likely]

Each draw of the family (``ceasefire simulate --family varied --draw K`` on the
Donbas example mandate) is simulated, fused, judged and scored twice with the
scorer of ``ceasefire score``: by the system as shipped, and with association
told the truth (``oracle.py``, shared with ``bench_ceiling.py``). Reported: per
draw, then the distribution over the draws: median and worst decile of F1, of
F1 / oracle F1 and of the double-count rate (double counts / system
violations); the undetermined share against the oracle's; accuracy of named
attributions; reliability of ``party_probability`` per bin, pooled over the
draws. The issue's targets are printed beside. Then a table per draw class (by
the drawn values, ``CLASSES``) of what limits it: the oracle's F1, the
information limit (true violations perceived only as arrivals at < 4
microphones, or by one bearing observer), association (F1 / oracle F1, double
counts above the oracle's), the double counts by kind. ``--report out.json``
prints the tables again from a ``--json`` file.

The draws are split once and for all, before any tuning:

- TEST draws: K = 0 .. 39 (40 draws): measure here, never tune here;
- TUNING draws: K = 1000 .. 1039 (``--set tuning``): tune on these.

``--quick`` runs the first four test draws. Draws run in ``--procs`` worker
processes (at most 2: the machine is shared); each fuses in its own process with
one fusion worker, so the oracle's patch stays in that process. ``--tile-s`` sets
fusion's tiles (default: as shipped; ``none``: each draw as one window, which
measures association without what tiles lose at their edges). ``--fuse-set
association.registration.mixture=true`` changes one fusion config field (a
dotted path into ``FuseConfig``, a JSON value) for the system and the oracle
alike, to measure an option without editing its default.

``--ceilings oracle,likely`` scores each draw a third time, under the likelihood
oracle (``oracle_likely.py``: each report to its most probable true round's phase
or clutter, given the draw's true rounds and noise model), and ends with a table
per draw class of the system against both ceilings (what the reports allow, and
what association told the truth reaches). The other likelihood oracles know less
of the noise or read less of the reports: ``stated`` (the observers' stated σ, no
clock error), ``clocks`` (true clocks, stated σ), ``sigmas`` (true σ, no clocks),
``registered`` (clocks and σ as the system's registration estimated them in the
draw; shipped tiles only), ``geometry`` (the true noise, but where and when alone:
no range, event, direction or weapon read), ``estimated`` (the noise as registered,
and the system's own located events of the draw in place of the true rounds:
what the system knows after one fusion; shipped tiles only; each report to an
event's phase or clutter), ``estimated_others`` (the same, and a report may also be
of a round fusion did not locate, uniform in bearing). ``perfect`` and
``oracle_perfect`` fuse the draw's reports as observers who knew their own noise
would make them (``oracle_likely.noise_told``: clock errors taken out, the true σ
stated), by the system as shipped and under the oracle: what registration's
estimate of the noise costs association, and what the noise costs everything
after it. The default output is unchanged.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from family_cli import MANDATE, TEST_DRAWS, TUNING_DRAWS, fuse_set
from oracle import SHIPPED, Oracle, overridden, patched, scored
from oracle_likely import (
    MARGINS,
    LikelyOracle,
    World,
    agreement,
    kept_events,
    kept_registration,
    noise_told,
    relabelled,
)

from ceasefire.mandate import load_mandate
from ceasefire.pipeline import fuse_config
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.files import write_scenario
from ceasefire.simulate.scoring import DOUBLE_KINDS
from ceasefire.simulate.scoring import MISS_CLASSES as MISS

#: issue 21's targets on the test draws
TARGETS = {
    "ratio_median": 0.97,
    "ratio_worst_decile": 0.93,
    "doubles_median": 0.01,
    "doubles_worst_decile": 0.03,
    "undetermined_points": 3.0,
    "named_accuracy": 0.97,
    "reliability_points": 3.0,
}


def _summary(s: dict[str, Any]) -> dict[str, Any]:
    a = s["attribution"]
    return {
        "f1": s["f1"],
        "precision": s["precision"],
        "recall": s["recall"],
        "system": s["system"],
        "truth": s["truth"],
        "matched": s["matched"],
        "double_counts": s["double_counts"],
        "double_rate": s["double_count_rate"],
        "given_party": a["given_party"],
        "accuracy": a["accuracy"],
        "undetermined": a["undetermined_share"],
        "reliability": s["reliability"],
        "misses": s.get("misses_by_perception", {}),
        "perceived_by": s.get("truth_by_perception", {}),
        "doubles_by_kind": s.get("double_counts_by_kind", {}),
    }


Job = tuple[str, int, float | str | None, tuple[tuple[str, Any], ...], tuple[str, ...]]
#: the ceilings ``--ceilings`` may name (the oracle always runs): ``likely`` knows the
#: draw's true noise model, ``stated`` the σ as the observers state them and no clock error
CEILINGS = (
    "oracle", "likely", "stated", "clocks", "sigmas", "registered", "geometry", "estimated",
    "estimated_others", "perfect", "oracle_perfect",
)  # fmt: skip
#: the ceilings that fuse the reports as observers who knew their own noise would make
#: them (``oracle_likely.noise_told``): by the system as shipped, or under the oracle
TOLD_NAMES = {
    "perfect": "system, noise told",
    "oracle_perfect": "oracle, noise told",
}
#: each likelihood oracle: its name in the tables, and the noise it knows (``World.noise``)
LIKELY_NAMES = {
    "likely": "likelihood oracle",
    "stated": "likelihood, stated noise",
    "clocks": "likelihood, true clocks, stated σ",
    "sigmas": "likelihood, true σ, no clocks",
    "registered": "likelihood, as registered",
    "geometry": "likelihood, where and when only",
    "estimated": "likelihood among the system's events",
    "estimated_others": "the system's events, or a round not located",
}
#: the noise each knows (``World.noise``; ``registered``: as the system's registration found)
LIKELY_NOISE = {
    "likely": "true", "stated": "stated", "clocks": "clocks", "sigmas": "sigmas",
    "registered": "registered", "geometry": "true", "estimated": "registered",
    "estimated_others": "registered",
}  # fmt: skip


def run_draw(job: Job) -> dict[str, Any]:
    """Simulate, fuse and score draw ``k`` of ``family`` twice (system, oracle),
    with fusion's tiles of ``tile_s`` (None: one window; ``SHIPPED``: as shipped)
    and the fusion config fields ``sets`` changed (``oracle.overridden``); a third
    time under the likelihood oracle when ``ceilings`` names ``likely``."""
    family, k, tile_s, sets, ceilings = job
    m = load_mandate(MANDATE)
    d = get_family(family).draw(m, k)
    c0 = time.process_time()
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_scenario(Path(tmp), sc.observations, sc.truth)
        regs, undo = kept_registration()
        fused, undo_ev = kept_events()
        try:
            s_sys, took_sys = scored(sc, m, t0, t1, paths["observations"], tile_s, sets)
        finally:
            undo()
            undo_ev()
        oracle = Oracle(sc.truth)
        undo = patched(oracle)
        try:
            s_orc, took_orc = scored(sc, m, t0, t1, paths["observations"], tile_s, sets)
        finally:
            undo()
        more: dict[str, Any] = {}
        for w in LIKELY_NAMES:
            if w not in ceilings:
                continue
            world = World.of(sc, d, m.tz)
            if w in ("registered", "estimated", "estimated_others") and len(regs) != 1:
                raise RuntimeError(
                    f"draw {k}: {len(regs)} registrations pooled over tiles, expected one "
                    f"(--ceilings {w} needs the shipped tiles)"
                )
            if w == "registered":
                world = world.registered(regs[0])
            elif w.startswith("estimated"):  # the system's own events of its first run
                world = world.registered(regs[0]).estimated(
                    fused[0], sc.observations, others=w == "estimated_others"
                )
            else:  # geometry: the true noise, and no range nor class read
                world = replace(world.noise(LIKELY_NOISE[w]), classes=w != "geometry")
            likely = LikelyOracle(sc.truth, sc.observations, world)
            undo = patched(likely)
            try:
                s_lik, took_lik = scored(sc, m, t0, t1, paths["observations"], tile_s, sets)
            finally:
                undo()
            more[w] = _summary(s_lik)
            more[f"{w}_fusion_s"] = took_lik
            chose = likely.assignment
            if w.startswith("estimated"):
                chose = relabelled(sc.truth, sc.observations, chose)
            more[f"{w}_agreement"] = agreement(sc.truth, sc.observations, chose)
        if set(TOLD_NAMES) & set(ceilings):
            told = noise_told(sc)
            told_path = write_scenario(Path(tmp) / "told", told.observations, told.truth)
            for w in TOLD_NAMES:
                if w not in ceilings:
                    continue
                orc = Oracle(told.truth) if w == "oracle_perfect" else None
                undo = patched(orc) if orc is not None else (lambda: None)
                try:
                    s_t, took_t = scored(told, m, t0, t1, told_path["observations"], tile_s, sets)
                finally:
                    undo()
                if orc is not None and orc.calls == 0:
                    raise RuntimeError("the oracle was never called on the told reports")
                more[w] = _summary(s_t)
                more[f"{w}_fusion_s"] = took_t
    if oracle.calls == 0:
        raise RuntimeError("the oracle was never called: fusion no longer goes through associate")
    p = d.params
    out: dict[str, Any] = {
        "draw": k,
        "hours": d.hours,
        "span_km": p["span_km"],
        "rounds": len(sc.rounds),
        "observations": len(sc.observations),
        "params": p,
        "system": _summary(s_sys),
        "oracle": _summary(s_orc),
        "fusion_s": took_sys,
        "oracle_fusion_s": took_orc,
        "cpu_s": time.process_time() - c0,
    }
    return {**out, **more}


def _pct(x: list[float], q: float) -> float:
    a = np.array([v for v in x if v is not None and np.isfinite(v)], dtype=float)
    return float(np.percentile(a, q)) if a.size else float("nan")


def _pooled_reliability(
    rows: list[dict[str, Any]], who: str
) -> list[tuple[str, int, float, float]]:
    acc: dict[str, list[float]] = {}
    for r in rows:
        for b in r[who]["reliability"]:
            t = acc.setdefault(b["bin"], [0, 0.0, 0.0])
            t[0] += b["n"]
            t[1] += b["n"] * b["mean_p"]
            t[2] += b["n"] * b["accuracy"]
    return [(k, int(v[0]), v[1] / v[0], v[2] / v[0]) for k, v in sorted(acc.items()) if v[0]]


def report(rows: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Print the per-draw table and the distribution; return the figures."""
    print(
        f"\n{'draw':>5} {'h':>4} {'km':>4} {'rounds':>6} {'obs':>6} | "
        f"{'F1':>6} {'oracle':>6} {'ratio':>6} | {'dbl %':>6} {'o dbl %':>7} | "
        f"{'undet':>6} {'o undet':>7} | {'acc':>6} | {'cpu s':>6}"
    )
    for r in rows:
        s, o = r["system"], r["oracle"]
        ratio = s["f1"] / o["f1"] if o["f1"] else float("nan")
        und = s["undetermined"] if s["undetermined"] is not None else float("nan")
        oud = o["undetermined"] if o["undetermined"] is not None else float("nan")
        acc = s["accuracy"] if s["accuracy"] is not None else float("nan")
        print(
            f"{r['draw']:>5} {r['hours']:>4.1f} {r['span_km']:>4.0f} {r['rounds']:>6} "
            f"{r['observations']:>6} | {s['f1']:>6.3f} {o['f1']:>6.3f} {ratio:>6.3f} | "
            f"{100 * s['double_rate']:>6.1f} {100 * o['double_rate']:>7.1f} | "
            f"{und:>6.3f} {oud:>7.3f} | {acc:>6.3f} | {r['cpu_s']:>6.1f}"
        )
    f1 = [r["system"]["f1"] for r in rows]
    of1 = [r["oracle"]["f1"] for r in rows]
    ratio = [a / b if b else float("nan") for a, b in zip(f1, of1, strict=True)]
    dbl = [r["system"]["double_rate"] for r in rows]
    odbl = [r["oracle"]["double_rate"] for r in rows]
    und = [r["system"]["undetermined"] for r in rows]
    oud = [r["oracle"]["undetermined"] for r in rows]
    gap = [100 * (a - b) for a, b in zip(und, oud, strict=True) if a is not None and b is not None]
    given = sum(r["system"]["given_party"] for r in rows)
    right = sum(
        r["system"]["accuracy"] * r["system"]["given_party"]
        for r in rows
        if r["system"]["accuracy"] is not None
    )
    o_given = sum(r["oracle"]["given_party"] for r in rows)
    o_right = sum(
        r["oracle"]["accuracy"] * r["oracle"]["given_party"]
        for r in rows
        if r["oracle"]["accuracy"] is not None
    )
    out = {
        "draws": len(rows),
        "f1_median": _pct(f1, 50),
        "f1_worst_decile": _pct(f1, 10),
        "oracle_f1_median": _pct(of1, 50),
        "oracle_f1_worst_decile": _pct(of1, 10),
        "ratio_median": _pct(ratio, 50),
        "ratio_worst_decile": _pct(ratio, 10),
        "doubles_median": _pct(dbl, 50),
        "doubles_worst_decile": _pct(dbl, 90),
        "oracle_doubles_median": _pct(odbl, 50),
        "oracle_doubles_worst_decile": _pct(odbl, 90),
        "undetermined_median": _pct(und, 50),
        "oracle_undetermined_median": _pct(oud, 50),
        "undetermined_points_median": _pct(gap, 50),
        "undetermined_points_worst_decile": _pct(gap, 90),
        "named_accuracy": right / given if given else float("nan"),
        "oracle_named_accuracy": o_right / o_given if o_given else float("nan"),
        "named": given,
    }
    t = TARGETS
    print(f"\n{label}: {len(rows)} draws (median / worst decile; target in brackets)")
    print(
        f"  F1                 {out['f1_median']:.3f} / {out['f1_worst_decile']:.3f}   "
        f"oracle {out['oracle_f1_median']:.3f} / {out['oracle_f1_worst_decile']:.3f}"
    )
    print(
        f"  F1 / oracle F1     {out['ratio_median']:.3f} / {out['ratio_worst_decile']:.3f}   "
        f"[>= {t['ratio_median']} / >= {t['ratio_worst_decile']}]"
    )
    print(
        f"  double counts      {100 * out['doubles_median']:.1f} % / "
        f"{100 * out['doubles_worst_decile']:.1f} %   "
        f"oracle {100 * out['oracle_doubles_median']:.1f} % / "
        f"{100 * out['oracle_doubles_worst_decile']:.1f} %   "
        f"[<= {100 * t['doubles_median']:.0f} % / <= {100 * t['doubles_worst_decile']:.0f} %]"
    )
    print(
        f"  undetermined       {out['undetermined_median']:.3f} vs oracle "
        f"{out['oracle_undetermined_median']:.3f}; system - oracle "
        f"{out['undetermined_points_median']:+.1f} / "
        f"{out['undetermined_points_worst_decile']:+.1f} points   "
        f"[within {t['undetermined_points']:.0f}]"
    )
    print(
        f"  named attributions {out['named_accuracy']:.3f} right of {given:,}   "
        f"oracle {out['oracle_named_accuracy']:.3f} of {o_given:,}   "
        f"[>= {t['named_accuracy']}]"
    )
    for who in ("system", "oracle"):
        print(f"  reliability ({who}, pooled): bin, n, mean p, observed, points off")
        rel = _pooled_reliability(rows, who)
        out[f"reliability_{who}"] = rel
        for b, n, mp_, ac in rel:
            print(f"    {b}  {n:>6,}  {mp_:.3f}  {ac:.3f}  {100 * (ac - mp_):+5.1f}")
    return out


#: draw classes by their drawn values (a draw may be in several; thresholds near the
#: upper or lower quartile of each range), for the table of what limits each
CLASSES: tuple[tuple[str, Any], ...] = (
    ("light fire (< 30 rounds/h)", lambda p: p["rounds_per_hour"] < 30),
    ("dense fire (>= 100 rounds/h)", lambda p: p["rounds_per_hour"] >= 100),
    ("batteries in bursts (mean >= 4 rounds)", lambda p: p["burst_mean"] >= 4),
    ("clutter in bursts (mean >= 4 reports)", lambda p: p["clutter_burst_mean"] >= 4),
    ("much clutter (x >= 1.8)", lambda p: p["clutter_mult"] >= 1.8),
    ("sigma understated (true/stated >= 1.4)", lambda p: p["sigma_true_mult"] >= 1.4),
    ("sigma overstated (true/stated <= 0.7)", lambda p: p["sigma_true_mult"] <= 0.7),
    ("clocks off (sd >= 1.2 s)", lambda p: p["clock_offset_s"] >= 1.2),
    ("many cameras (>= 4 per 100 km)", lambda p: p["cameras_per_100km"] >= 4),
    ("misreports (x >= 2)", lambda p: p["misreport_mult"] >= 2),
    ("observers silent (>= 20 %)", lambda p: p["dropout_share"] >= 0.2),
    ("all draws", lambda p: True),
)


def _share(r: dict[str, Any], who: str, key: str, names: tuple[str, ...]) -> float:
    d = r[who].get(key) or {}
    tot = r[who]["truth"] if key != "doubles_by_kind" else r[who]["double_counts"]
    return sum(d.get(n, 0) for n in names) / tot if tot else 0.0


def classes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per draw class: how many draws, how many miss the median targets, and what
    limits them: the oracle's F1 (the ceiling), the information limit (true
    violations perceived only as arrivals at < 4 microphones, or by one bearing
    observer), association (F1 / oracle F1; double counts above the oracle's) and
    the double counts by kind. Medians over the class's draws."""
    t = TARGETS
    out = []
    print(
        "\n| class | draws | miss targets | F1 / oracle | oracle F1 | perceived by one "
        "bearing / < 4 mics only (% of truth) | oracle misses: one bearing / < 4 mics / "
        "two or more (% of truth) | oracle false (% of its violations) | doubles: system "
        "/ oracle % | system doubles without position / phases unpaired / second fixes / "
        "by a pair (% of doubles) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, pred in CLASSES:
        rs = [r for r in rows if pred(r["params"])]
        if not rs:
            continue
        ratio = [r["system"]["f1"] / r["oracle"]["f1"] if r["oracle"]["f1"] else 1.0 for r in rs]
        miss = sum(
            1
            for r, q in zip(rs, ratio, strict=True)
            if q < t["ratio_median"] or r["system"]["double_rate"] > t["doubles_median"]
        )
        med = {
            "ratio": _pct(ratio, 50),
            "oracle_f1": _pct([r["oracle"]["f1"] for r in rs], 50),
            "mics": _pct([_share(r, "oracle", "perceived_by", (MISS[0],)) for r in rs], 50),
            "one": _pct([_share(r, "oracle", "perceived_by", (MISS[1],)) for r in rs], 50),
            "o_one": _pct([_share(r, "oracle", "misses", (MISS[1],)) for r in rs], 50),
            "o_mics": _pct([_share(r, "oracle", "misses", (MISS[0],)) for r in rs], 50),
            "o_two": _pct([_share(r, "oracle", "misses", (MISS[2],)) for r in rs], 50),
            "o_false": _pct([1.0 - r["oracle"]["precision"] for r in rs], 50),
            "dbl": _pct([r["system"]["double_rate"] for r in rs], 50),
            "odbl": _pct([r["oracle"]["double_rate"] for r in rs], 50),
        }
        kinds = {}
        tot = sum(r["system"]["double_counts"] for r in rs)
        for k in DOUBLE_KINDS[:4]:
            n = sum((r["system"].get("doubles_by_kind") or {}).get(k, 0) for r in rs)
            kinds[k] = n / tot if tot else 0.0
        out.append({"class": name, "draws": len(rs), "miss": miss, **med, "kinds": kinds})
        print(
            f"| {name} | {len(rs)} | {miss} | {med['ratio']:.3f} | {med['oracle_f1']:.3f} | "
            f"{100 * med['one']:.0f} / {100 * med['mics']:.0f} | "
            f"{100 * med['o_one']:.1f} / {100 * med['o_mics']:.1f} / {100 * med['o_two']:.1f} | "
            f"{100 * med['o_false']:.1f} | "
            f"{100 * med['dbl']:.1f} / {100 * med['odbl']:.1f} | "
            + " / ".join(f"{100 * v:.0f}" for v in kinds.values())
            + f" (of {tot:,}) |"
        )
    return out


def _ratio(r: dict[str, Any], who: str) -> float:
    o = r["oracle"]["f1"]
    return r[who]["f1"] / o if o else 1.0


def _undetermined_gap(r: dict[str, Any], who: str) -> float | None:
    a, b = r[who]["undetermined"], r["oracle"]["undetermined"]
    return None if a is None or b is None else 100.0 * (a - b)


def ceilings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per draw class: the system against the likelihood oracles (what the reports
    allow, ``likely``; and with the noise as stated, ``stated``, when run) and the
    oracle (association told the truth): F1 / oracle F1 and double counts, median
    and worst decile over the class's draws; and which limit holds the class where
    the system misses a median target: downstream (the oracle misses it too),
    information (the likelihood oracle misses it, the oracle does not) or
    association (the likelihood oracle reaches it, the system does not)."""
    t = TARGETS
    out = []
    names = {**LIKELY_NAMES, **TOLD_NAMES}
    who = [w for w in names if rows and w in rows[0]]
    print(
        "\n| class | draws | F1 / oracle: system, median / worst decile | "
        + " | ".join(f"{names[w]}" for w in who)
        + " | doubles %, median / worst decile: system | "
        + " | ".join(f"{names[w]}" for w in who)
        + " | oracle | undetermined - oracle's, points, median: system / "
        + " / ".join(names[w] for w in who)
        + " | double counts pooled: system / "
        + " / ".join(names[w] for w in who)
        + " / oracle | limit |"
    )
    print("|---" * (7 + 2 * len(who)) + "|")
    for name, pred in CLASSES:
        rs = [r for r in rows if pred(r["params"]) and all(w in r for w in who)]
        if not rs:
            continue
        row: dict[str, Any] = {"class": name, "draws": len(rs)}
        for w in ("system", *who, "oracle"):
            ratio = [_ratio(r, w) for r in rs]
            dbl = [r[w]["double_rate"] for r in rs]
            gap = [g for r in rs if (g := _undetermined_gap(r, w)) is not None]
            row[w] = {
                "ratio": (_pct(ratio, 50), _pct(ratio, 10)),
                "doubles": (_pct(dbl, 50), _pct(dbl, 90)),
                "undetermined_gap": _pct(gap, 50),
                "double_counts": sum(r[w]["double_counts"] for r in rs),
            }
        limits = []
        for what, key, bad in (
            ("F1", "ratio", lambda x: x < t["ratio_median"]),
            ("doubles", "doubles", lambda x: x > t["doubles_median"]),
        ):
            if not bad(row["system"][key][0]):
                continue
            if bad(row["oracle"][key][0]):
                limits.append(f"{what}: downstream")
            elif "likely" in row and bad(row["likely"][key][0]):
                limits.append(f"{what}: information")
            else:
                limits.append(f"{what}: association")
        row["limit"] = "; ".join(limits) or "meets the median targets"
        out.append(row)

        def pair(x: tuple[float, float], scale: float = 1.0, f: str = ".3f") -> str:
            return f"{scale * x[0]:{f}} / {scale * x[1]:{f}}"

        print(
            f"| {name} | {len(rs)} | "
            + " | ".join(pair(row[w]["ratio"]) for w in ("system", *who))
            + " | "
            + " | ".join(pair(row[w]["doubles"], 100, ".1f") for w in ("system", *who, "oracle"))
            + " | "
            + " / ".join(f"{row[w]['undetermined_gap']:+.1f}" for w in ("system", *who))
            + " | "
            + " / ".join(str(row[w]["double_counts"]) for w in ("system", *who, "oracle"))
            + f" | {row['limit']} |"
        )
    for w in (w for w in who if w in LIKELY_NAMES):
        agree = {k: sum(r[f"{w}_agreement"][k] for r in rows) for k in rows[0][f"{w}_agreement"]}
        given = sum(r[w]["given_party"] for r in rows)
        right = sum(
            r[w]["accuracy"] * r[w]["given_party"] for r in rows if r[w]["accuracy"] is not None
        )
        print(
            f"\n{LIKELY_NAMES[w]}, pooled over {len(rows)} draws: {agree['right']:,} of "
            f"{agree['reports']:,} acoustic reports assigned as the truth; real called clutter "
            f"{agree['real_as_clutter']:,}, clutter given a round {agree['clutter_as_real']:,}, "
            f"the other phase {agree['other_phase']:,}, another round {agree['other_round']:,}; "
            f"violations {sum(r[w]['system'] for r in rows):,}, matched "
            f"{sum(r[w]['matched'] for r in rows):,}, double counts "
            f"{sum(r[w]['double_counts'] for r in rows):,} (oracle "
            f"{sum(r['oracle']['double_counts'] for r in rows):,}, system "
            f"{sum(r['system']['double_counts'] for r in rows):,}); named attributions "
            f"{right / given if given else float('nan'):.3f} right of {given:,}; chosen by a "
            "likelihood ratio over the runner-up of "
            + ", ".join(
                f"< {k}: {agree.get(f'margin_below_{k}', 0):,} "
                f"({agree.get(f'wrong_margin_below_{k}', 0):,} of them wrong)"
                for k in MARGINS
            )
        )
        out.append(
            {
                "class": f"pooled {w}",
                "agreement": agree,
                "named_accuracy": right / given if given else float("nan"),
                "named": given,
            }
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", default="varied")
    ap.add_argument("--set", choices=("test", "tuning"), default="test")
    ap.add_argument("--draws", type=int, nargs="+", help="these draws instead of a set")
    ap.add_argument("--procs", type=int, default=2, choices=(1, 2))
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--quick", action="store_true", help="the first four test draws")
    ap.add_argument(
        "--report", type=Path, help="print the tables again from a --json file; run nothing"
    )
    ap.add_argument(
        "--tile-s",
        default=SHIPPED,
        type=lambda v: v if v == SHIPPED else None if v.lower() == "none" else float(v),
        help="fusion's tile length, s, or 'none' for one window (default: as shipped)",
    )
    ap.add_argument(
        "--fuse-set",
        action="append",
        default=[],
        type=fuse_set,
        metavar="FIELD=JSON",
        help="change a fusion config field for both runs, by its dotted path and a JSON "
        "value, e.g. association.registration.mixture=true (repeatable)",
    )
    ap.add_argument(
        "--ceilings",
        default="oracle",
        type=lambda v: tuple(x.strip() for x in v.split(",") if x.strip()),
        help="the ceilings to score against, of " + ", ".join(CEILINGS) + " (default: oracle)",
    )
    a = ap.parse_args()
    if unknown := [c for c in a.ceilings if c not in CEILINGS]:
        ap.error(f"--ceilings: unknown {', '.join(unknown)}; expected of {', '.join(CEILINGS)}")
    sets = tuple(a.fuse_set)
    if sets:
        try:  # an unknown field fails here, before any draw runs
            overridden(fuse_config(load_mandate(MANDATE)), sets)
        except ValueError as e:
            ap.error(str(e))
    if a.report:
        doc = json.loads(a.report.read_text())
        report(doc["draws"], f"family {a.family}, from {a.report}")
        classes(doc["draws"])
        if any(w in r for r in doc["draws"] for w in (*LIKELY_NAMES, *TOLD_NAMES)):
            ceilings(doc["draws"])
        return 0
    draws = list(a.draws or (TEST_DRAWS if a.set == "test" else TUNING_DRAWS))
    if a.quick:
        draws = list(TEST_DRAWS[:4])
    label = "draws " + (" ".join(map(str, draws)) if a.draws or a.quick else f"{a.set} set")
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, Python {platform.python_version()}, {a.procs} processes")
    tiles = "as shipped" if a.tile_s == SHIPPED else "one window" if a.tile_s is None else a.tile_s
    print(f"family {a.family} on {MANDATE.parent.name}, {label}, fusion tiles: {tiles}")
    if sets:
        print("fusion config changed: " + ", ".join(f"{p} = {v!r}" for p, v in sets))
    wall = time.perf_counter()
    jobs: list[Job] = [(a.family, k, a.tile_s, sets, a.ceilings) for k in draws]
    if a.procs > 1:
        with mp.get_context("spawn").Pool(a.procs) as pool:
            rows = pool.map(run_draw, jobs, chunksize=1)
    else:
        rows = [run_draw(j) for j in jobs]
    wall = time.perf_counter() - wall
    out = report(rows, f"family {a.family}, {label}")
    out["classes"] = classes(rows)
    if set(a.ceilings) - {"oracle"}:
        out["ceilings"] = ceilings(rows)
    out["tile_s"] = a.tile_s
    out["fuse_set"] = [list(p) for p in sets]
    cpu_s = sum(r["cpu_s"] for r in rows)
    print(
        f"  CPU {cpu_s:.0f} s over the draws ({cpu_s / len(rows):.1f} s a draw), wall {wall:.0f} s"
    )
    if a.json:
        a.json.write_text(json.dumps({"summary": out, "draws": rows}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
