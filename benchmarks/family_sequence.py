"""Does a burst's count over its whole sequence tell a leftover from a round, by the
truth, on a scenario family (issue 21)?

    PYTHONPATH=src:benchmarks python benchmarks/family_sequence.py [--draws K ...]
        [--procs 2] [--fuse-set FIELD=JSON ...] [--json out.json] [--report out.json]

The count (:func:`burst_answer`, truth-free): each observer hears each round of a
burst at most once, and in firing order, so a report is "one more than its
observer heard" — a leftover of a counted round — when, at a spot (a located
event's point ``j``), the observer's bearing reports of the burst (rays passing
``j`` within explanation's gate, emission times at ``j`` within the burst's span
widened by the clock slack and ``TIME_SD`` time σ) can be given to distinct
events of the burst (the located events with a point within ``BURST_M`` and
``BURST_S`` of ``j``) in time order, each within that widened window of its
event's emission time. Otherwise the count says "a round more": the observer
reported the spot more often than the burst has events, or no order fits the
times.

Each draw (default: the TUNING draws 1000-1039; never tune on the test draws
0-39) is fused once (as shipped, or with ``--fuse-set``), judged and scored as
``bench_family.py`` does, and the count is asked about:

- each lone violation's bearing (a lone report explanation left counted): at the
  located points its ray passes emitted within ``BURST_S`` of its own emission
  there (explanation's residuals with the clock slack widened to ``BURST_S``),
  least cost first, at most ``TRIES``; the first point the count takes it at
  answers, else the first point tried says why not;
- each paired event's launch side: the spot is the launch point of another
  paired event emitted within ``BURST_S`` of its own launch, nearest it (within
  ``SPOT_M``); the event itself left out of the burst, each of its bearing
  members whose ray passes the spot must be taken.

Reported per violation by the scorer's status (a double count's extra, a match,
unmatched) and the count's answer: the premise is that double counts in bursts
are "no more rounds" and true rounds are not. Fusion is not changed: the rule
that used the answer (a lone bearing taken is explained) was measured and
reverted (docs/family.md, "Session 26, sequence").
"""

from __future__ import annotations

import collections
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
from family_cli import Sets, drawn, draws_main
from oracle import overridden

from ceasefire.assess import assess
from ceasefire.fuse import engine
from ceasefire.fuse import explain as ex_mod
from ceasefire.fuse.obsindex import EventRows, RowIds, source_codes
from ceasefire.geo import inverse
from ceasefire.model.results import Event
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import scoring

#: a burst's points lie within this distance of the spot, m (fixed launch points
#: of one battery scatter by their σ, hundreds of metres)
BURST_M = 1_500.0
#: ... and were emitted within this long of it, s (the family's spacing 3-30 s)
BURST_S = 40.0
#: a report fits an event's emission time within this many time σ + clock slack
TIME_SD = 3.0
#: points tried per lone bearing
TRIES = 4
#: a paired event's spot is another's launch point within this distance, m
SPOT_M = 10_000.0
#: :func:`burst_answer`'s answers other than an event
NOT_PASSING, MORE_REPORTS, OUT_OF_ORDER = -2, -3, -4

F8 = npt.NDArray[np.float64]


def burst_answer(
    row: int,
    j: int,
    pts: Any,
    obs: Any,
    src: Any,
    cfg: Any,
    c: float,
) -> int:
    """The count at point ``j`` (explanation's points ``pts``) for report
    ``row``: the event (``pts.event``'s index) its report goes to when its
    observer's reports of the burst fit the burst's events one each in time
    order (module docstring), else ``MORE_REPORTS`` (more reports of the spot
    than events), ``OUT_OF_ORDER`` (no order fits the times) or ``NOT_PASSING``
    (``row`` itself misses the spot's ray or the burst's span). ``src``: each
    observation's observer code; ``cfg``: explanation's config (gate, σ scale,
    clock slacks)."""
    t_mid = 0.5 * (pts.t_lo + pts.t_hi)
    near_t = np.flatnonzero(np.abs(t_mid - t_mid[j]) <= BURST_S)
    _, d = inverse(
        np.full(near_t.shape[0], pts.lat[j]), np.full(near_t.shape[0], pts.lon[j]),
        pts.lat[near_t], pts.lon[near_t],
    )  # fmt: skip
    burst = near_t[d <= BURST_M]
    # one window per event: of its points in the burst, the one nearest j in time
    burst = burst[np.lexsort((np.abs(t_mid[burst] - t_mid[j]), pts.event[burst]))]
    burst = burst[np.r_[True, pts.event[burst][1:] != pts.event[burst][:-1]]]
    burst = burst[np.argsort(t_mid[burst], kind="stable")]
    lo, hi = pts.t_lo[burst], pts.t_hi[burst]
    # the observer's bearing reports whose ray passes j, in the burst's time span
    mine = np.flatnonzero((src == src[row]) & np.isfinite(obs.bearing_deg))
    az, dist = inverse(
        obs.lat[mine], obs.lon[mine],
        np.full(mine.shape[0], pts.lat[j]), np.full(mine.shape[0], pts.lon[j]),
    )  # fmt: skip
    seen = obs.sense[mine] == ex_mod.SEEN
    e = obs.time_s[mine] - np.where(seen, 0.0, dist / c)
    sd_t = cfg.sigma_scale * np.nan_to_num(obs.time_sigma_s[mine], nan=1.0)
    tol = np.where(seen, cfg.slack_seen_s, cfg.slack_heard_s) + TIME_SD * sd_t
    db = (obs.bearing_deg[mine] - az + 180.0) % 360.0 - 180.0
    a = np.radians(az)
    cv = pts.cov[j]
    v_perp = np.maximum(
        cv[0] * np.cos(a) ** 2 + cv[1] * np.sin(a) ** 2 - 2.0 * cv[2] * np.cos(a) * np.sin(a),
        0.0,
    )
    sd_b = np.hypot(
        cfg.sigma_scale * obs.bearing_sigma_deg[mine],
        np.degrees(np.sqrt(v_perp) / np.maximum(dist, 1.0)),
    )
    keep = ((db / sd_b) ** 2 <= cfg.gate_chi2) & (e >= lo.min() - tol) & (e <= hi.max() + tol)
    mine, e, tol = mine[keep], e[keep], tol[keep]
    if row not in mine:
        return NOT_PASSING
    if mine.shape[0] > burst.shape[0]:
        return MORE_REPORTS
    o = np.argsort(e, kind="stable")
    mine, e, tol = mine[o], e[o], tol[o]
    # in time order, each report to the earliest later event whose window fits it
    k, given = 0, -1
    for q in range(mine.shape[0]):
        while k < burst.shape[0] and not (lo[k] - tol[q] <= e[q] <= hi[k] + tol[q]):
            k += 1
        if k == burst.shape[0]:
            return OUT_OF_ORDER
        if mine[q] == row:
            given = int(pts.event[burst[k]])
        k += 1
    return given


def answer(answers: list[int]) -> str:
    """One violation's answer from its reports' (:func:`burst_answer`'s)."""
    if not answers:
        return "no spot"
    if all(a >= 0 for a in answers):
        return "no more rounds"
    if MORE_REPORTS in answers:
        return "a round more (more reports than events)"
    if OUT_OF_ORDER in answers:
        return "a round more (no order fits the times)"
    return "the burst's span misses it"


def lone_answers(events: list[Event], obs: Any, cfg: Any, c: float) -> dict[str, str]:
    """Per unexplained lone event id with a candidate point, the count's answer
    for its first bearing (module docstring)."""
    located = [
        e
        for e in events
        if e.lat is not None and e.kind != "sighting" and "single_observer" not in e.flags
    ]
    ids = RowIds.of(obs)
    lone_k, lone_row = ex_mod._lone_reports(events, obs, EventRows.of(ids, events))
    open_ = np.array([ex_mod.EXPLAINED not in events[int(k)].flags for k in lone_k], bool)
    lone_k, lone_row = lone_k[open_], lone_row[open_]
    if not located or lone_k.shape[0] == 0:
        return {}
    src = source_codes(obs)
    pts = ex_mod._points(located, obs, EventRows.of(ids, located), cfg, c)
    wide = replace(cfg, slack_seen_s=BURST_S, slack_heard_s=BURST_S)
    li, pj, chi2 = ex_mod._residuals(lone_row, pts, obs, wide, cfg.gate_chi2, c)
    o = np.lexsort((chi2, li))
    out: dict[str, str] = {}
    tried: collections.defaultdict[int, list[int]] = collections.defaultdict(list)
    for i, j in zip(li[o].tolist(), pj[o].tolist(), strict=True):
        if len(tried[i]) < TRIES and not any(a >= 0 for a in tried[i]):
            tried[i].append(burst_answer(int(lone_row[i]), j, pts, obs, src, cfg, c))
    for i, got in tried.items():
        took = [a for a in got if a >= 0]
        out[events[int(lone_k[i])].id] = answer(took or got[:1])
    return out


def _subset(pts: Any, keep: Any) -> Any:
    """``pts`` (explanation's points) at the indices ``keep``."""
    return ex_mod._Points(
        pts.event[keep], pts.lat[keep], pts.lon[keep], pts.t_lo[keep], pts.t_hi[keep],
        pts.cov[keep],
    )  # fmt: skip


def paired_answers(events: list[Event], obs: Any, cfg: Any, c: float) -> dict[str, str]:
    """Per paired event id, the count's answer for its launch side (module
    docstring)."""
    located = [
        e
        for e in events
        if e.lat is not None and e.kind != "sighting" and "single_observer" not in e.flags
    ]
    if not located:
        return {}
    ids = RowIds.of(obs)
    src = source_codes(obs)
    pts = ex_mod._points(located, obs, EventRows.of(ids, located), cfg, c)
    t_mid = 0.5 * (pts.t_lo + pts.t_hi)
    lau = np.arange(len(located), pts.event.shape[0])
    out: dict[str, str] = {}
    for q in lau.tolist():
        x = int(pts.event[q])
        other = lau[(pts.event[lau] != x) & (np.abs(t_mid[lau] - t_mid[q]) <= BURST_S)]
        d = np.full(1, np.inf)
        if other.shape[0]:
            _, d = inverse(
                np.full(other.shape[0], pts.lat[q]), np.full(other.shape[0], pts.lon[q]),
                pts.lat[other], pts.lon[other],
            )  # fmt: skip
        if d.min() > SPOT_M:
            out[located[x].id] = "no spot"
            continue
        keep = np.flatnonzero(pts.event != x)
        j = int(np.searchsorted(keep, other[int(np.argmin(d))]))
        got = [
            burst_answer(row, j, _subset(pts, keep), obs, src, cfg, c)
            for row in ids.rows(list(located[x].observation_ids)).tolist()
            if row >= 0 and np.isfinite(obs.bearing_deg[row])
        ]
        out[located[x].id] = answer([a for a in got if a != NOT_PASSING])
    return out


def status(truth: dict[str, Any], system: list[Any]) -> dict[int, str]:
    """Per system violation index: ``double`` (an extra of a double count),
    ``matched`` (matches a true violation) or ``unmatched``."""
    out = dict.fromkeys(range(len(system)), "unmatched")
    for q, _ in scoring.matched_truth(truth, system):
        out[q] = "matched"
    for dc in scoring.double_counts(truth, system):
        out[dc.extra] = "double"
    return out


def run_draw(job: tuple[int, Sets]) -> dict[str, Any]:
    """Draw ``k``'s violations by status and the count's answer."""
    k, sets = job
    m, _, sc, t0, t1 = drawn(k)
    fcfg = replace(overridden(fuse_config(m), sets), workers=1)
    events = [e for e in engine.fuse(sc.observations, fcfg) if t0 <= e.time_s < t1]
    system = scoring.system_from_features([violation_feature(v) for v in assess(events, m)])
    st = status(sc.truth, system)
    cfg, c = fcfg.corroboration.explain, fcfg.speed_of_sound_m_s
    viol_of = {o: q for q, s in enumerate(system) for o in s.obs}
    rows: dict[str, collections.Counter[str]] = {}
    for name, ans in (
        ("lone", lone_answers(events, sc.observations, cfg, c)),
        ("paired", paired_answers(events, sc.observations, cfg, c)),
    ):
        tab: collections.Counter[str] = collections.Counter()
        for e in events:
            q = next((viol_of[o] for o in e.observation_ids if o in viol_of), None)
            if e.id in ans and q is not None:
                tab[f"{st[q]}: {ans[e.id]}"] += 1
        rows[name] = tab
    return {"draw": k, **{n: dict(t) for n, t in rows.items()}}


def report(rows: list[dict[str, Any]]) -> None:
    """Print the pooled tables."""
    for name, title in (
        ("lone", "lone violations (a bearing) near a located point"),
        ("paired", "paired violations' launch sides"),
    ):
        tot: collections.Counter[str] = collections.Counter()
        for r in rows:
            tot.update(r.get(name, {}))
        print(f"\n| {title}: status: the count's answer | n |\n|---|---|")
        for k, v in sorted(tot.items()):
            print(f"| {k} | {v} |")


def main() -> int:
    return draws_main(__doc__, run_draw, report)


if __name__ == "__main__":
    raise SystemExit(main())
