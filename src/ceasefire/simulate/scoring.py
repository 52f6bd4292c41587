"""Scoring the system's violations against the simulator's truth.

Matching is one to one per rule: a system violation and a true one are
candidates when their times differ by at most the time gate and their
positions by at most the distance gate (a round: its launch or its impact,
whichever is nearer; a violation that states a launch point, a paired round's,
is also a candidate of the rounds launched within the gates of that point; a
violation without position: within the time gate and sharing an observation
with the true one, or on time alone when the truth does not list the
observations that perceived it; with a shared observation its time, a time of
hearing, may lag the emission by up to ``SOUND_DELAY_S`` more). Among
candidates, the assignment that matches the most, then minimises
Σ (d/d_gate)² + (Δt/t_gate)² + 2 (1 − s), with s the share of the system
violation's observations that perceived the true one, is solved exactly over all
candidates at once (a sparse minimum-weight full bipartite matching). The
evidence term makes the matching follow the observations where rounds are dense
(a battery firing every few seconds): without it, a report could be matched to a
neighbouring round of the other party.

- precision = matched / system violations; recall = matched / true violations
  (by default those the mission perceived at all); F1. The misses are counted by
  what perceived them (with the observations file): arrivals only at fewer than
  four microphones (no direction: no system can locate or report them), one
  bearing observer, two or more; and recall and F1 are given again over the
  *reportable* true violations (all but those of the first class, matched or not;
  precision is the same).
- double count: an unmatched system violation that is a candidate of an
  already matched true one (one round reported twice); counted by kind
  (``DOUBLE_KINDS``): a report without position (a lone bearing), a positioned
  one nearer the other phase of a round whose match was unpaired (launch and
  impact never paired), a second fix of the phase already matched, one beside or
  made of a paired round (pairing took another partner), other (objects).
- localization: distance from the reported position (the launch point, for a
  match by it) to the matched point;
  median, p90, RMSE, next to the Cramér-Rao bound of the reports that
  perceived it (rounds seen by >= 3 observers) and their ratio.
- ellipse coverage: share of matched violations whose 95 % ellipse holds the truth
  (matches by a launch point left out: the ellipse is the position's).
- attribution: accuracy on matched violations given a party, the share
  undetermined, and a reliability table of ``party_probability``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from ceasefire.geo import LocalFrame, distance_m, inverse
from ceasefire.model.assignment import min_cost_matching
from ceasefire.model.errors import InputError
from ceasefire.model.reliability import reliability_bins
from ceasefire.model.vocab import default_sense
from ceasefire.simulate.bounds import crlb_position
from ceasefire.simulate.patrolled import patrol_score

ROUND_GATES = (3_000.0, 90.0)  # distance m, time s
#: a violation without position is dated by its report: the sound of a round heard
#: as far as the simulator's loudest weapon carries (an MLRS launch, ~75 km by an
#: acoustic array) arrives up to this long after the emission, s
SOUND_DELAY_S = 240.0
OBJECT_GATES = (2_000.0, 86_400.0)
#: the truth point index of a match made by a paired violation's launch point
LAUNCH_POINT = 2


@dataclass(frozen=True)
class _Sys:
    id: str
    rule: str
    t: float
    lat: float | None
    lon: float | None
    party: str
    p: float
    probs: dict[str, float]
    ell: dict[str, float] | None
    obs: tuple[str, ...] = ()
    #: (lat, lon) of a paired round's launch (``lat``, ``lon`` are its impact)
    launch: tuple[float, float] | None = None


def _parse_time(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def load_system(path: Path) -> list[_Sys]:
    """System violations from an RFC 7946 ``violations.geojson``."""
    return system_from_features(json.loads(Path(path).read_text()).get("features", []))


def system_from_features(features: list[dict[str, Any]]) -> list[_Sys]:
    """System violations from GeoJSON features (``violations.geojson``'s)."""
    out = []
    for f in features:
        p = f["properties"]
        g = f.get("geometry")
        lon, lat = g["coordinates"][:2] if g else (None, None)
        lg = p.get("launch")
        out.append(
            _Sys(
                str(p["id"]),
                str(p["rule"]),
                _parse_time(p["time"]),
                lat,
                lon,
                str(p.get("party", "undetermined")),
                float(p.get("party_probability") or 0.0),
                dict(p.get("probabilities") or {}),
                p.get("uncertainty"),
                tuple(str(o) for o in p.get("observations") or ()),
                (float(lg["coordinates"][1]), float(lg["coordinates"][0])) if lg else None,
            )
        )
    return out


def _truth_points(v: dict[str, Any]) -> list[tuple[float, float, float]]:
    """(lat, lon, time) points a system violation may report for a true one."""
    if "launch" in v:
        return [
            (v["launch"][1], v["launch"][0], v["time"]),
            (v["impact"][1], v["impact"][0], v["impact_time"]),
        ]
    return [(v["position"][1], v["position"][0], v["time"])]


def _evidence(
    v: dict[str, Any], rounds: dict[str, Any], things: dict[str, Any]
) -> frozenset[str] | None:
    """The observation ids that perceived true violation ``v`` (None if unknown),
    from the truth's rounds and things by id."""
    if "round" in v:
        r = rounds.get(v["round"])
        if r is None:
            return None
        vid = str(v.get("id", ""))
        if vid.endswith("-da-launch"):
            return frozenset(r["launch_observations"])
        if vid.endswith("-da-impact"):
            return frozenset(r["impact_observations"])
        return frozenset(r["launch_observations"]) | frozenset(r["impact_observations"])
    if "thing" in v:
        th = things.get(v["thing"])
        return None if th is None else frozenset(th.get("sightings", []))
    return None


def _gated_pairs(
    sys_v: list[_Sys], pts: np.ndarray, dgate: float, tgate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sys index, point index, cost) of positioned system violations within the
    gates of truth points ``pts`` (rows lat, lon, time); geodesic distances."""
    pos = [i for i, s in enumerate(sys_v) if s.lat is not None and s.lon is not None]
    empty = np.zeros(0, dtype=np.int64)
    if not pos or len(pts) == 0:
        return empty, empty, np.zeros(0)
    si = np.array(pos)
    slat = np.array([sys_v[i].lat for i in pos], dtype=np.float64)
    slon = np.array([sys_v[i].lon for i in pos], dtype=np.float64)
    st = np.array([sys_v[i].t for i in pos], dtype=np.float64)
    frame = LocalFrame.about(np.r_[slat, pts[:, 0]], np.r_[slon, pts[:, 1]])
    sx, sy = frame.to_xy(slat, slon)
    px, py = frame.to_xy(pts[:, 0], pts[:, 1])
    k = dgate / tgate  # time scaled to metres
    a = cKDTree(np.c_[sx, sy, st * k])
    b = cKDTree(np.c_[px, py, pts[:, 2] * k])
    # the aeqd frame's scale error is < 0.1 % within 450 km: a 1 % margin, then exact gates
    near = a.sparse_distance_matrix(b, 1.01 * math.sqrt(2.0) * dgate, output_type="coo_matrix")
    ii, pp = near.row.astype(np.int64), near.col.astype(np.int64)
    d = distance_m(slat[ii], slon[ii], pts[pp, 0], pts[pp, 1])
    dt = st[ii] - pts[pp, 2]
    ok = (d <= dgate) & (np.abs(dt) <= tgate)
    ii, pp, d, dt = ii[ok], pp[ok], d[ok], dt[ok]
    return si[ii], pp, (d / dgate) ** 2 + (dt / tgate) ** 2


def _match(
    sys_v: list[_Sys], tru: list[dict[str, Any]], ev: list[frozenset[str] | None] | None = None
) -> tuple[list[tuple[int, int, int]], list[set[int]]]:
    """Optimal one-to-one matches (sys index, truth index, truth point) and each
    system violation's candidate truths. ``ev``: per true violation, the ids of
    the observations that perceived it (None: unknown).

    Candidates are within the time and distance gates of a truth point (a
    violation without position: within the time gate and sharing an observation
    with the truth, or on time alone when the truth lists no observations). The
    cost is (d/d_gate)² + (Δt/t_gate)² + 2 (1 − s), s the share of the system
    violation's observations that perceived the true one (0 when unknown); the
    assignment matches as many as it can, then at least cost, by a sparse
    minimum-weight full bipartite matching over all candidates at once.
    """
    n_s, n_t = len(sys_v), len(tru)
    cands: list[set[int]] = [set() for _ in sys_v]
    if not sys_v or not tru:
        return [], cands
    ev = ev if ev is not None else [None] * n_t
    sys_obs = [frozenset(s.obs) for s in sys_v]
    nopos = [i for i, s in enumerate(sys_v) if s.lat is None or s.lon is None]
    # truth points: (lat, lon, time), their truth index and point number, per gate class
    rows_i: list[np.ndarray] = []
    rows_j: list[np.ndarray] = []
    rows_k: list[np.ndarray] = []
    rows_c: list[np.ndarray] = []
    for gates, is_round in ((ROUND_GATES, True), (OBJECT_GATES, False)):
        pts, pj, pk = [], [], []
        for j, v in enumerate(tru):
            if (v.get("kind") == "round") != is_round:
                continue
            for k, p in enumerate(_truth_points(v)):
                pts.append(p)
                pj.append(j)
                pk.append(k)
        if not pts:
            continue
        parr = np.array(pts, dtype=np.float64)
        ii, pp, c = _gated_pairs(sys_v, parr, *gates)
        rows_i.append(ii)
        rows_j.append(np.array(pj, dtype=np.int64)[pp])
        rows_k.append(np.array(pk, dtype=np.int64)[pp])
        rows_c.append(c)
        if is_round:
            # a paired round's launch point, against the true launches
            launched = [(i, s.launch) for i, s in enumerate(sys_v) if s.launch is not None]
            lq = np.flatnonzero(np.array(pk) == 0)
            if launched and len(lq):
                proxy = [replace(sys_v[i], lat=p[0], lon=p[1]) for i, p in launched]
                li, lp, lc = _gated_pairs(proxy, parr[lq], *gates)
                rows_i.append(np.array([i for i, _ in launched], np.int64)[li])
                rows_j.append(np.array(pj, dtype=np.int64)[lq[lp]])
                rows_k.append(np.full(len(li), LAUNCH_POINT, np.int64))
                rows_c.append(lc)
        # violations without position: time gate and shared evidence
        tgate = gates[1]
        if not nopos:
            continue
        by_obs: dict[str, list[int]] = {}
        blind: list[int] = []
        for q, j in enumerate(pj):
            e = ev[j]
            if e is None:
                blind.append(q)
                continue
            for o in e:
                by_obs.setdefault(o, []).append(q)
        extra: list[tuple[int, int, float]] = []
        order = np.argsort(parr[blind, 2]) if blind else np.zeros(0, dtype=np.int64)
        tb = parr[blind, 2][order] if blind else np.zeros(0)
        # a report without position is dated when it was heard: sound may arrive up to
        # SOUND_DELAY_S after the emission, so a shared observation allows that lag
        delay = SOUND_DELAY_S if is_round else 0.0
        for i in nopos:
            s = sys_v[i]
            shared = {q for o in s.obs for q in by_obs.get(o, ())}
            qs = set(shared)
            if blind:
                a = np.searchsorted(tb, s.t - tgate)
                b = np.searchsorted(tb, s.t + tgate, side="right")
                qs.update(blind[int(x)] for x in order[a:b])
            for q in qs:
                dt = s.t - parr[q, 2]
                if q in shared:
                    dt -= min(max(dt, 0.0), delay)
                if abs(dt) <= tgate:
                    extra.append((i, q, 1.0 + (dt / tgate) ** 2))
        if extra:
            e_arr = np.array(extra)
            qq = e_arr[:, 1].astype(np.int64)
            rows_i.append(e_arr[:, 0].astype(np.int64))
            rows_j.append(np.array(pj, dtype=np.int64)[qq])
            rows_k.append(np.array(pk, dtype=np.int64)[qq])
            rows_c.append(e_arr[:, 2])
    ri = np.concatenate([np.zeros(0, np.int64), *rows_i])
    if len(ri) == 0:
        return [], cands
    cj = np.concatenate(rows_j)
    kk = np.concatenate(rows_k)
    cost = np.concatenate(rows_c)

    # the evidence term, then the best point of each (sys, truth) pair
    def _share(i: int, j: int) -> float:
        e = ev[j]
        return len(sys_obs[i] & e) / len(sys_obs[i]) if e is not None and sys_obs[i] else 0.0

    share = np.array([_share(i, j) for i, j in zip(ri.tolist(), cj.tolist(), strict=True)])
    cost = cost + 2.0 * (1.0 - share)
    srt = np.lexsort((cost, cj, ri))
    ri, cj, kk, cost = ri[srt], cj[srt], kk[srt], cost[srt]
    first = np.r_[True, (ri[1:] != ri[:-1]) | (cj[1:] != cj[:-1])]
    ri, cj, kk, cost = ri[first], cj[first], kk[first], cost[first]
    for i, j in zip(ri.tolist(), cj.tolist(), strict=True):
        cands[i].add(j)
    # as many matches as possible, then least cost: leaving one alone costs far more
    edge = min_cost_matching(ri, cj, cost, n_s, n_t, 1e4)
    sel = np.flatnonzero(edge >= 0)
    matches = [(int(i), int(cj[e]), int(kk[e])) for i, e in zip(sel, edge[sel], strict=True)]
    return matches, cands


def _observation_index(
    path: Path | None, wanted: set[str], kinds_of: set[str] | None = None
) -> tuple[dict[str, tuple[float, float, float, float, float, float]], dict[str, tuple[str, str]]]:
    """Observer position, noise and whether heard (1) or seen (0) of the ``wanted``
    observations, and the (kind, source) of those in ``kinds_of``, from an
    observations NDJSON file."""
    out: dict[str, tuple[float, float, float, float, float, float]] = {}
    kinds: dict[str, tuple[str, str]] = {}
    if path is None or not path.exists():
        return out, kinds
    kinds_of = kinds_of or set()
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                rec = json.loads(line)
                rec["id"]
            except (json.JSONDecodeError, TypeError, KeyError) as exc:
                raise InputError(
                    "not an observation (a JSON object with an 'id' on each line); expected "
                    "the observations.ndjson the truth was simulated with",
                    file=str(path),
                    line=lineno,
                ) from exc
            if rec["id"] in kinds_of:
                kinds[rec["id"]] = (
                    sys.intern(str(rec.get("kind", ""))),
                    sys.intern(str(rec.get("source", ""))),
                )
            if rec["id"] in wanted and "observer" in rec:
                out[rec["id"]] = (
                    rec["observer"]["lat"],
                    rec["observer"]["lon"],
                    rec.get("bearing_sigma_deg", math.nan),
                    rec.get("range_sigma_m", math.nan),
                    rec.get("time_sigma_s", math.nan),
                    0.0
                    if (rec.get("sense") or default_sense(rec["kind"], rec.get("event"))) == "seen"
                    else 1.0,
                )
    return out, kinds


#: kinds of double count, in the order the scorer reports them (module docstring)
DOUBLE_KINDS = (
    "no position",
    "other phase unpaired",
    "second fix of a phase",
    "beside a paired round",
    "other",
)


def _double_kind(extra: _Sys, kept: _Sys, v: dict[str, Any], point: int) -> str:
    """Which kind of double count ``extra`` is, beside ``kept``, the system violation
    matched to true violation ``v`` at truth point ``point``."""
    if extra.lat is None or extra.lon is None:
        return DOUBLE_KINDS[0]
    if v.get("kind") != "round" or "launch" not in v:
        return DOUBLE_KINDS[4]
    if extra.launch is not None or kept.launch is not None:
        return DOUBLE_KINDS[3]
    pts = _truth_points(v)
    cost = [
        (float(distance_m(extra.lat, extra.lon, la, lo)) / ROUND_GATES[0]) ** 2
        + ((extra.t - t) / ROUND_GATES[1]) ** 2
        for la, lo, t in pts
    ]
    nearest = int(np.argmin(cost))
    return (
        DOUBLE_KINDS[2] if nearest == (0 if point == LAUNCH_POINT else point) else DOUBLE_KINDS[1]
    )


#: what perceived a missed violation, in the order the scorer reports them
MISS_CLASSES = (
    "arrivals only, < 4 sensors",
    "one bearing",
    "two or more bearings",
    "other",
)


def _miss_class(ev: frozenset[str] | None, kinds: dict[str, tuple[str, str]]) -> str:
    """Which kind of perception a true violation had (``MISS_CLASSES``): a round
    heard only as arrivals at fewer than four microphones cannot be located nor told
    from clutter (an arrival has no direction)."""
    if not ev or any(o not in kinds for o in ev):
        return "other"
    bearing_sources = {kinds[o][1] for o in ev if kinds[o][0] == "bearing"}
    if any(kinds[o][0] not in ("bearing", "arrival") for o in ev):
        return "other"
    if not bearing_sources:
        return MISS_CLASSES[0] if len({kinds[o][1] for o in ev}) < 4 else "other"
    return MISS_CLASSES[1] if len(bearing_sources) == 1 else MISS_CLASSES[2]


def _inside_ellipse(s: _Sys, la: float, lo: float) -> bool | None:
    if s.ell is None or s.lat is None or s.lon is None:
        return None
    az, d = inverse(s.lat, s.lon, la, lo)
    e, n = d * math.sin(math.radians(float(az))), d * math.cos(math.radians(float(az)))
    th = math.radians(s.ell["orientation_deg"])
    major = e * math.sin(th) + n * math.cos(th)
    minor = e * math.cos(th) - n * math.sin(th)
    a, b = max(s.ell["semi_major_m"], 1e-6), max(s.ell["semi_minor_m"], 1e-6)
    return bool((major / a) ** 2 + (minor / b) ** 2 <= 1.0)


def _prf(tp: int, n_sys: int, n_true: int) -> dict[str, float]:
    p = tp / n_sys if n_sys else 1.0
    r = tp / n_true if n_true else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score(
    truth: dict[str, Any],
    system: list[_Sys],
    observations: Path | None = None,
    *,
    perceived_only: bool = True,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """All the scores, as a JSON-able dict (see the module docstring).
    ``on_stage`` is told each stage as it starts (for a progress display)."""
    stage = on_stage or (lambda _text: None)
    tru_all = truth["violations"]
    tru = [v for v in tru_all if v.get("perceived", True) or not perceived_only]
    rounds = {r["id"]: r for r in truth.get("rounds", [])}
    things = {t["id"]: t for t in truth.get("things", [])}
    matched: list[tuple[_Sys, dict[str, Any], int]] = []
    doubles = 0
    kinds_2 = dict.fromkeys(DOUBLE_KINDS, 0)
    all_ev: list[tuple[frozenset[str] | None, bool]] = []  # (evidence, matched)
    per_rule: dict[str, dict[str, Any]] = {}
    for rule, si, tv, evs, m, cands in _per_rule(tru, system, rounds, things, stage):
        sv = [system[i] for i in si]
        got_t = {j for _, j, _ in m}
        all_ev += [(evs[j], j in got_t) for j in range(len(tv))]
        dbl = _rule_doubles(sv, tv, m, cands)
        d = len(dbl)
        doubles += d
        for x in dbl:
            kinds_2[x.kind] += 1
        per_rule[rule] = {
            "system": len(sv),
            "truth": len(tv),
            "matched": len(m),
            "double_counts": d,
            **_prf(len(m), len(sv), len(tv)),
        }
        matched += [(sv[i], tv[j], k) for i, j, k in m]
    n_sys, n_true = len(system), len(tru)
    out: dict[str, Any] = {
        "system": n_sys,
        "truth": n_true,
        "truth_unperceived": len(tru_all) - len([v for v in tru_all if v.get("perceived", True)]),
        "matched": len(matched),
        **_prf(len(matched), n_sys, n_true),
        "double_counts": doubles,
        "double_count_rate": doubles / n_sys if n_sys else 0.0,
        "double_counts_by_kind": kinds_2,
        "per_rule": per_rule,
    }
    # localization and the bound
    errs, bound_traces, errs_b, cover = [], [], [], []
    wanted: set[str] = set()
    for _, v, k in matched:
        if "round" in v and v["round"] in rounds:
            r = rounds[v["round"]]
            wanted.update(r["impact_observations" if k == 1 else "launch_observations"])
    stage("reading the observations for the Cramér-Rao bounds")
    ev_ids = {o for ev_m, _ in all_ev if ev_m for o in ev_m}
    obs_idx, kinds = _observation_index(observations, wanted, ev_ids)
    if observations is not None and observations.exists():
        cls = [(_miss_class(ev_m, kinds), hit) for ev_m, hit in all_ev]
        out["misses_by_perception"] = {
            c: sum(1 for k, hit in cls if k == c and not hit) for c in MISS_CLASSES
        }
        out["truth_by_perception"] = {c: sum(1 for k, _ in cls if k == c) for c in MISS_CLASSES}
        # recall over what a system can report: the true violations heard only as
        # arrivals at fewer than four microphones left out (matched or not)
        rep = [hit for k, hit in cls if k != MISS_CLASSES[0]]
        p_all = len(matched) / n_sys if n_sys else 1.0
        r_rep = sum(rep) / len(rep) if rep else 1.0
        out["reportable"] = {
            "truth": len(rep),
            "matched": sum(rep),
            "recall": r_rep,
            "f1": 2 * p_all * r_rep / (p_all + r_rep) if p_all + r_rep else 0.0,
        }
    stage(f"localization and bounds of {len(matched):,} matched violations")
    for s, v, k in matched:
        at = s.launch if k == LAUNCH_POINT else (s.lat, s.lon)
        if at is None or at[0] is None or at[1] is None:
            continue
        la, lo, _ = _truth_points(v)[0 if k == LAUNCH_POINT else k]
        err = float(inverse(at[0], at[1], la, lo)[1])
        errs.append(err)
        # the ellipse is the violation's position's (a launch point has none here)
        c = _inside_ellipse(s, la, lo) if k != LAUNCH_POINT else None
        if c is not None:
            cover.append(c)
        if "round" in v and v["round"] in rounds and obs_idx:
            ids = rounds[v["round"]]["impact_observations" if k == 1 else "launch_observations"]
            rows = [obs_idx[i] for i in ids if i in obs_idx]
            if len({(a, b) for a, b, *_ in rows}) >= 3:
                arr = np.array(rows, dtype=np.float64)
                cb = crlb_position(
                    la, lo, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5]
                )
                if cb is not None:
                    bound_traces.append(float(np.trace(cb)))
                    errs_b.append(err)
    if errs:
        e = np.array(errs)
        loc: dict[str, Any] = {
            "n": len(errs),
            "median_m": float(np.median(e)),
            "p90_m": float(np.percentile(e, 90)),
            "rmse_m": float(np.sqrt(np.mean(e**2))),
        }
        if bound_traces:
            eb = np.array(errs_b)
            rmse_b = float(np.sqrt(np.mean(eb**2)))
            crlb = float(np.sqrt(np.mean(bound_traces)))
            loc.update(
                {
                    "n_ge3_observers": len(errs_b),
                    "rmse_ge3_m": rmse_b,
                    "crlb_rms_m": crlb,
                    "ratio_to_crlb": rmse_b / crlb if crlb > 0 else None,
                }
            )
        out["localization"] = loc
    if cover:
        out["ellipse_coverage_95"] = float(np.mean(cover))
    # attribution
    given = [(s, v) for s, v, _ in matched if s.party != "undetermined"]
    right = sum(1 for s, v in given if s.party == v["party"])
    out["attribution"] = {
        "given_party": len(given),
        "accuracy": right / len(given) if given else None,
        "undetermined_share": 1 - len(given) / len(matched) if matched else None,
    }
    # an undetermined one is right when its likeliest party is
    likeliest = [
        s.party if s.party != "undetermined" else max(s.probs, key=lambda x: s.probs[x], default="")
        for s, _, _ in matched
    ]
    bins = reliability_bins(
        [s.p for s, _, _ in matched],
        [p == v["party"] for p, (_, v, _) in zip(likeliest, matched, strict=True)],
    )
    rel = [
        {"bin": f"{lo:.2f}-{hi:.2f}", "n": n, "mean_p": mean_p, "accuracy": share}
        for lo, hi, n, mean_p, share in bins
    ]
    out["reliability"] = rel
    if "patrol" in truth:
        out["patrol"] = patrol_score(truth["patrol"], [v for _, v, _ in matched])
    return out


def _per_rule(
    tru: list[dict[str, Any]],
    system: list[_Sys],
    rounds: dict[str, Any],
    things: dict[str, Any],
    stage: Callable[[str], None],
) -> Iterator[
    tuple[
        str,
        list[int],
        list[dict[str, Any]],
        list[frozenset[str] | None],
        list[tuple[int, int, int]],
        list[set[int]],
    ]
]:
    """Per rule (sorted): the system violations' indices, the true ones, their
    evidence, and :func:`_match`'s matches and candidates."""
    for rule in sorted({v["rule"] for v in tru} | {s.rule for s in system}):
        si = [i for i, s in enumerate(system) if s.rule == rule]
        tv = [v for v in tru if v["rule"] == rule]
        stage(f"matching {len(si):,} violations of rule {rule} to {len(tv):,} true ones")
        evs = [_evidence(v, rounds, things) for v in tv]
        m, cands = _match([system[i] for i in si], tv, evs)
        yield rule, si, tv, evs, m, cands


class DoubleCount(NamedTuple):
    """A system violation counted twice: ``extra`` and ``kept`` index the system's
    violations; ``truth`` is the true violation ``kept`` matches (at its truth point
    ``point``), which ``extra`` could have matched too; ``kind`` is one of
    ``DOUBLE_KINDS``."""

    extra: int
    kept: int
    truth: dict[str, Any]
    point: int
    kind: str


def _rule_doubles(
    sv: list[_Sys],
    tv: list[dict[str, Any]],
    m: list[tuple[int, int, int]],
    cands: list[set[int]],
) -> list[DoubleCount]:
    """One rule's double counts (indices into ``sv``): the unmatched system
    violations that a matched true violation gates, each beside the lowest such."""
    got_t = {j for _, j, _ in m}
    got_s = {i for i, _, _ in m}
    by_t = {j: (i, k) for i, j, k in m}
    out: list[DoubleCount] = []
    for i in range(len(sv)):
        if i not in got_s and cands[i] & got_t:
            j = min(cands[i] & got_t)
            kept, point = by_t[j]
            out.append(
                DoubleCount(i, kept, tv[j], point, _double_kind(sv[i], sv[kept], tv[j], point))
            )
    return out


def double_counts(truth: dict[str, Any], system: list[_Sys]) -> list[DoubleCount]:
    """The scorer's double counts over all rules (perceived truth only), with
    ``extra`` and ``kept`` indexing ``system``: the ones ``score`` counts."""
    tru = [v for v in truth["violations"] if v.get("perceived", True)]
    rounds = {r["id"]: r for r in truth.get("rounds", [])}
    things = {t["id"]: t for t in truth.get("things", [])}
    out: list[DoubleCount] = []
    for _, si, tv, _, m, cands in _per_rule(tru, system, rounds, things, lambda _s: None):
        out += [
            d._replace(extra=si[d.extra], kept=si[d.kept])
            for d in _rule_doubles([system[i] for i in si], tv, m, cands)
        ]
    return out


def matched_truth(truth: dict[str, Any], system: list[_Sys]) -> list[tuple[int, dict[str, Any]]]:
    """The scorer's one-to-one matches over all rules (perceived truth only):
    ``(index into system, true violation)`` pairs."""
    tru = [v for v in truth["violations"] if v.get("perceived", True)]
    rounds = {r["id"]: r for r in truth.get("rounds", [])}
    things = {t["id"]: t for t in truth.get("things", [])}
    out: list[tuple[int, dict[str, Any]]] = []
    for _, si, tv, _, m, _ in _per_rule(tru, system, rounds, things, lambda _s: None):
        out += [(si[i], tv[j]) for i, j, _ in m]
    return sorted(out, key=lambda p: p[0])


def score_files(
    truth: Path,
    violations: Path,
    observations: Path | None = None,
    perceived_only: bool = True,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``score`` on files; ``observations`` defaults to the truth's sibling file."""
    stage = on_stage or (lambda _text: None)
    stage(f"reading {truth}")
    t = _read_json(truth, "the simulator's truth.json")
    if not isinstance(t, dict) or not {"violations", "rounds", "things"} <= set(t):
        raise InputError(
            f"found {_what(t)}; expected the simulator's truth.json (an object with "
            "'violations', 'rounds' and 'things', written by `ceasefire simulate`)",
            file=str(truth),
        )
    if observations is None:
        cand = Path(truth).parent / "observations.ndjson"
        observations = cand if cand.exists() else None
    stage(f"reading {violations}")
    doc = _read_json(violations, "the system's violations.geojson")
    features = doc.get("features") if isinstance(doc, dict) else None
    expected = (
        "the system's violations.geojson (a FeatureCollection of violations, each with "
        "'id', 'rule' and 'time', written by `ceasefire run`)"
    )
    if not isinstance(features, list):
        raise InputError(f"found {_what(doc)}; expected {expected}", file=str(violations))
    for i, f in enumerate(features):
        props = f.get("properties") if isinstance(f, dict) else None
        missing = [
            k for k in ("id", "rule", "time") if not isinstance(props, dict) or k not in props
        ]
        if missing:
            raise InputError(
                f"feature {i} has no {', '.join(repr(k) for k in missing)}; expected {expected}",
                file=str(violations),
                field=f"features[{i}].properties",
            )
    return score(
        t,
        system_from_features(features),
        observations,
        perceived_only=perceived_only,
        on_stage=on_stage,
    )


def _read_json(path: Path, what: str) -> Any:
    """The JSON document at ``path``, or an :class:`InputError` saying it is not ``what``."""
    try:
        return json.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise InputError(
            f"cannot read it: {exc.strerror}; expected {what}", file=str(path)
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text; expected {what}", file=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not one JSON document ({exc.msg} at column {exc.colno}); expected {what}",
            file=str(path),
            line=exc.lineno,
        ) from exc


def _what(doc: Any) -> str:
    """A short description of a JSON document's top level, for error messages."""
    if isinstance(doc, dict):
        if doc.get("type") == "FeatureCollection":
            return "a GeoJSON FeatureCollection"
        keys = ", ".join(repr(k) for k in list(doc)[:6])
        return f"a JSON object with keys {keys}" if keys else "an empty JSON object"
    return f"a JSON {type(doc).__name__}"
