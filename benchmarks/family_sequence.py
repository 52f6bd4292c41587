"""What a burst's count over its whole sequence takes (``fuse/sequence.py``), by the
truth, on a scenario family (issue 21).

    PYTHONPATH=src:benchmarks python benchmarks/family_sequence.py [--draws K ...]
        [--procs 2] [--fuse-set FIELD=JSON ...] [--json out.json] [--report out.json]

Each draw (default: the TUNING draws 1000-1039; never tune on the test draws 0-39)
is fused twice, as shipped (with ``--fuse-set``) and with
``corroboration.explain.sequence.enabled`` on, judged and scored as
``bench_family.py`` does. The lone bearings the count explains away (explained in
the second run, counted in the first) are classed by what the first run's scorer
made of their violation (:func:`status`): a double count (the rule's target), the
sole match of a true violation (a true round lost), or unmatched (clutter or a
round outside the perceived truth); and by the truth: whether the event it is
given to holds the bearing's round (most of the event's reports of the round are
the bearing's round's), another round of its burst, or neither. Beside, the
first run's lone double counts and the slot-refused ones among them (the premise:
of the double counts in bursts the slot rule keeps, how often does the count say
"no more rounds here"), and the two runs' matched and double counts.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from bench_family import _fuse_set
from family_burst_rounds import bursts_of
from oracle import overridden

from ceasefire.assess import assess
from ceasefire.fuse import engine, sequence
from ceasefire.fuse import explain as ex_mod
from ceasefire.fuse.explain import EXPLAINED, explained_by
from ceasefire.fuse.obsindex import RowIds, source_codes
from ceasefire.geo import inverse
from ceasefire.mandate import load_mandate
from ceasefire.model.results import Event
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import scoring
from ceasefire.simulate.family import get_family, simulate_draw

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
TUNING_DRAWS = tuple(range(1000, 1040))
ON = ("corroboration.explain.sequence.enabled", True)

Sets = tuple[tuple[str, Any], ...]


def _fused(sc: Any, m: Any, t0: float, t1: float, sets: Sets) -> tuple[list[Event], list[Any]]:
    cfg = replace(overridden(fuse_config(m), sets), workers=1)
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    vs = assess(events, m)
    return events, scoring.system_from_features([violation_feature(v) for v in vs])


def status(truth: dict[str, Any], system: list[Any]) -> dict[int, str]:
    """Per system violation index: ``double`` (an extra of a double count),
    ``matched`` (matches a true violation) or ``unmatched``."""
    out = dict.fromkeys(range(len(system)), "unmatched")
    for q, _ in scoring.matched_truth(truth, system):
        out[q] = "matched"
    for dc in scoring.double_counts(truth, system):
        out[dc.extra] = "double"
    return out


def taken_class(
    bearing_round: str | None, holder: Event | None, of: dict[str, str], burst_of: dict[str, int]
) -> str:
    """By the truth, where a taken bearing (of round ``bearing_round``; None:
    clutter) went: the event it is given to (``holder``) holds its round (the
    round of most of the event's reports), another round of the burst, or
    neither."""
    if bearing_round is None:
        return "the bearing is clutter"
    if holder is None:
        return "holder not found"
    c = collections.Counter(of[o] for o in holder.observation_ids if o in of)
    if not c:
        return "holder holds no round"
    top = c.most_common(1)[0][0]
    if top == bearing_round:
        return "holder is the bearing's round"
    if burst_of.get(top) == burst_of.get(bearing_round):
        return "holder is another round of its burst"
    return "holder is another round, not of its burst"


def _recording(tried: dict[str, str]) -> Any:
    """``sequence.leftovers`` as explain calls it, recording per tried lone
    report (observation id) whether the count took it."""
    inner = sequence.leftovers

    def wrapped(
        cand_li: Any, cand_pj: Any, rows: Any, pts: Any, obs: Any, *a: Any, **kw: Any
    ) -> Any:
        out = inner(cand_li, cand_pj, rows, pts, obs, *a, **kw)
        src, cfg, gate, scale, s_seen, s_heard, c = a
        t_mid = 0.5 * (pts.t_lo + pts.t_hi)
        has_b = np.isfinite(obs.bearing_deg)
        for i in sorted(set(cand_li.tolist())):
            oid = str(obs.id[rows[i]])
            if out[i] >= 0:
                tried[oid] = "no more rounds"
                continue
            # why not, at the first point tried
            j = int(cand_pj[np.flatnonzero(cand_li == i)[0]])
            by = sequence._burst_slot(
                int(rows[i]), j, pts, t_mid, obs, src, has_b, cfg, gate, scale, s_seen,
                s_heard, c,
            )  # fmt: skip
            tried.setdefault(oid, _answer([by]) if by != -1 else "the span misses it")
        return out

    return wrapped


def _answer(answers: list[int]) -> str:
    """The count's answer over one violation's reports' (``_burst_slot``'s)."""
    if not answers:
        return "no spot"
    if all(a >= 0 for a in answers):
        return "no more rounds"
    if sequence.MORE_REPORTS in answers:
        return "a round more (more reports than events)"
    return "a round more (no order fits the times)"


def _subset(pts: Any, keep: Any) -> Any:
    """``pts`` (explain's points) at the indices ``keep``."""
    return ex_mod._Points(
        pts.event[keep], pts.lat[keep], pts.lon[keep], pts.t_lo[keep], pts.t_hi[keep],
        pts.cov[keep],
    )  # fmt: skip


def located_premise(events: list[Event], obs: Any, cfg: Any, c: float) -> dict[str, str]:
    """Per paired event id, the count's answer for its launch side (truth-free):
    the spot is the launch point of another paired event emitted within
    ``burst_s`` of its own launch and nearest it (within 10 km); each of its
    bearing members whose ray passes the spot must go, with its observer's other
    reports of the spot, to distinct events of the burst at that spot in time
    order (``sequence``'s count with the event itself left out): "no more
    rounds" when every one does, "a round more" when one does not, "no spot"
    when there is none or no member passes it."""
    scfg = cfg.sequence
    located = [
        e
        for e in events
        if e.lat is not None and e.kind != "sighting" and "single_observer" not in e.flags
    ]
    if not located:
        return {}
    ids = RowIds.of(obs)
    src = source_codes(obs)
    pts = ex_mod._points(located, obs, ids, cfg, c)
    n = len(located)
    t_mid = 0.5 * (pts.t_lo + pts.t_hi)
    has_b = np.isfinite(obs.bearing_deg)
    lau = np.arange(n, pts.event.shape[0])
    out: dict[str, str] = {}
    for q in lau.tolist():
        x = int(pts.event[q])
        other = lau[(pts.event[lau] != x) & (np.abs(t_mid[lau] - t_mid[q]) <= scfg.burst_s)]
        if other.shape[0] == 0:
            out[located[x].id] = "no spot"
            continue
        _, d = inverse(
            np.full(other.shape[0], pts.lat[q]), np.full(other.shape[0], pts.lon[q]),
            pts.lat[other], pts.lon[other],
        )  # fmt: skip
        if d.min() > 10_000.0:
            out[located[x].id] = "no spot"
            continue
        keep = np.flatnonzero(pts.event != x)
        sub = _subset(pts, keep)
        j = int(np.searchsorted(keep, other[int(np.argmin(d))]))
        answers = []
        for row in ids.rows(list(located[x].observation_ids)).tolist():
            if row < 0 or not has_b[row]:
                continue
            by = sequence._burst_slot(
                row, j, sub, 0.5 * (sub.t_lo + sub.t_hi), obs, src, has_b, scfg,
                cfg.gate_chi2, cfg.sigma_scale, cfg.slack_seen_s, cfg.slack_heard_s, c,
                need_row=False,
            )  # fmt: skip
            if by != sequence.NOT_PASSING:
                answers.append(by)
        out[located[x].id] = _answer(answers)
    return out


def run_located(job: tuple[int, Sets]) -> dict[str, Any]:
    """The located premise of draw ``k``: each paired violation's count answer by
    its scorer status (:func:`located_premise`)."""
    k, sets = job
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    ev0, sys0 = _fused(sc, m, t0, t1, sets)
    st0 = status(sc.truth, sys0)
    cfg = overridden(fuse_config(m), sets).corroboration.explain
    ans = located_premise(ev0, sc.observations, cfg, fuse_config(m).speed_of_sound_m_s)
    viol_of = {o: q for q, s in enumerate(sys0) for o in s.obs}
    premise: collections.Counter[str] = collections.Counter()
    for e in ev0:
        if e.id not in ans or e.launch_lat is None:
            continue
        q = next((viol_of[o] for o in e.observation_ids if o in viol_of), None)
        if q is None:
            continue
        premise[f"{st0[q]}: {ans[e.id]}"] += 1
    return {"draw": k, "premise": dict(premise), "taken": {}, "before": {}, "after": {},
            "lone_doubles": 0}  # fmt: skip


def run_draw(job: tuple[int, Sets]) -> dict[str, Any]:
    """The two runs of draw ``k`` against each other (module docstring)."""
    k, sets = job
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    ev0, sys0 = _fused(sc, m, t0, t1, sets)
    tried: dict[str, str] = {}
    keep = ex_mod.leftovers
    ex_mod.leftovers = _recording(tried)
    try:
        ev1, sys1 = _fused(sc, m, t0, t1, (*sets, ON))
    finally:
        ex_mod.leftovers = keep
    st0 = status(sc.truth, sys0)
    st1 = status(sc.truth, sys1)
    of: dict[str, str] = {}
    burst_of: dict[str, int] = {}
    for b, burst in enumerate(bursts_of(sc.truth["rounds"])):
        for r in burst:
            burst_of[r["id"]] = b
            of.update(dict.fromkeys(r["launch_observations"], r["id"]))
            of.update(dict.fromkeys(r["impact_observations"], r["id"]))
    viol_of = {o: q for q, s in enumerate(sys0) for o in s.obs}
    by_id = {e.id: e for e in ev1}
    before = {e.id: e for e in ev0}
    taken: collections.Counter[str] = collections.Counter()
    for e in ev1:
        if EXPLAINED not in e.flags or e.id not in before or EXPLAINED in before[e.id].flags:
            continue
        q = next((viol_of[o] for o in e.observation_ids if o in viol_of), None)
        s0 = "not a violation" if q is None else st0[q]
        rnd = next((of[o] for o in e.observation_ids if o in of), None)
        h = explained_by(e)
        cls = taken_class(rnd, by_id.get(h) if h else None, of, burst_of)
        taken[f"{s0}; {cls}"] += 1
    # the premise: each first-run lone violation the count was asked about, by
    # its status there and the count's answer
    premise: collections.Counter[str] = collections.Counter()
    for q, v in enumerate(sys0):
        asked = [tried[o] for o in v.obs if o in tried]
        if v.lat is None and asked:
            premise[f"{st0[q]}: {min(asked)}"] += 1
    n0 = collections.Counter(st0.values())
    n1 = collections.Counter(st1.values())
    lone_doubles = sum(
        1 for dc in scoring.double_counts(sc.truth, sys0) if dc.kind == scoring.DOUBLE_KINDS[0]
    )
    return {
        "draw": k,
        "taken": dict(taken),
        "premise": dict(premise),
        "before": dict(n0),
        "after": dict(n1),
        "lone_doubles": lone_doubles,
    }


def report(rows: list[dict[str, Any]]) -> None:
    """Print the pooled tables."""
    pre: collections.Counter[str] = collections.Counter()
    for r in rows:
        pre.update(r.get("premise", {}))
    print("\n| violations (first run) the count was asked about | n |\n|---|---|")
    for k, v in sorted(pre.items()):
        print(f"| {k} | {v} |")
    tot: collections.Counter[str] = collections.Counter()
    for r in rows:
        tot.update(r["taken"])
    print(f"\n| lone bearings the count explains away: {sum(tot.values())} | n |\n|---|---|")
    for k, v in sorted(tot.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"| {k} | {v} |")
    print("\n| draw | matched / doubles / unmatched, off -> on | lone doubles off | taken |")
    print("|---|---|---|---|")
    for r in rows:
        b, a = r["before"], r["after"]
        if b == a and not r["taken"]:
            continue
        print(
            f"| {r['draw']} | {b.get('matched', 0)} / {b.get('double', 0)} / "
            f"{b.get('unmatched', 0)} -> {a.get('matched', 0)} / {a.get('double', 0)} / "
            f"{a.get('unmatched', 0)} | {r['lone_doubles']} | {sum(r['taken'].values())} |"
        )
    s = {
        w: {k: sum(r[w].get(k, 0) for r in rows) for k in ("matched", "double", "unmatched")}
        for w in ("before", "after")
    }
    print(f"\nall draws: off {s['before']}, on {s['after']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, nargs="*", default=list(TUNING_DRAWS))
    ap.add_argument("--procs", type=int, default=2, help="draws in parallel (at most 2)")
    ap.add_argument("--fuse-set", action="append", default=[], type=_fuse_set, metavar="FIELD=JSON")
    ap.add_argument("--json", type=Path, help="also write the per-draw rows here")
    ap.add_argument("--report", type=Path, help="print the tables of a --json file again")
    ap.add_argument(
        "--located", action="store_true", help="the paired events' premise instead (one run)"
    )
    a = ap.parse_args()
    if a.report:
        report(json.loads(a.report.read_text()))
        return 0
    jobs = [(k, tuple(a.fuse_set)) for k in a.draws]
    with mp.get_context("fork").Pool(max(1, min(a.procs, 2))) as pool:
        rows = pool.map(run_located if a.located else run_draw, jobs, chunksize=1)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    report(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
