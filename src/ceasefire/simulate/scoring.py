"""Scoring the system's violations against the simulator's truth.

Matching is one to one per rule: a system violation and a true one are
candidates when their times differ by at most the time gate and their
positions by at most the distance gate (a round: its launch or its impact,
whichever is nearer; a violation without position matches on time alone).
Among candidates, the assignment minimising Σ (d/d_gate)² + (Δt/t_gate)² is
solved exactly (``linear_sum_assignment``) on each connected group.

- precision = matched / system violations; recall = matched / true violations
  (by default those the mission perceived at all); F1.
- double count: an unmatched system violation that is a candidate of an
  already matched true one (one round reported twice).
- localization: distance from the reported position to the matched point;
  median, p90, RMSE, next to the Cramér-Rao bound of the reports that
  perceived it (rounds seen by >= 3 observers) and their ratio.
- ellipse coverage: share of matched violations whose 95 % ellipse holds the truth.
- attribution: accuracy on matched violations given a party, the share
  undetermined, and a reliability table of ``party_probability``.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ceasefire.geo import inverse
from ceasefire.simulate.bounds import crlb_position

ROUND_GATES = (3_000.0, 90.0)  # distance m, time s
OBJECT_GATES = (2_000.0, 86_400.0)
BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0000001)


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


def _parse_time(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def load_system(path: Path) -> list[_Sys]:
    """System violations from an RFC 7946 ``violations.geojson``."""
    fc = json.loads(Path(path).read_text())
    out = []
    for f in fc.get("features", []):
        p = f["properties"]
        g = f.get("geometry")
        lon, lat = g["coordinates"][:2] if g else (None, None)
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


def _match(
    sys_v: list[_Sys], tru: list[dict[str, Any]]
) -> tuple[list[tuple[int, int, int]], list[set[int]]]:
    """Optimal one-to-one matches (sys index, truth index, truth point) and each
    system violation's candidate truths."""
    rows, cols, cost, pts = [], [], [], []
    cands: list[set[int]] = [set() for _ in sys_v]
    if not sys_v or not tru:
        return [], cands
    t_sys = np.array([s.t for s in sys_v])
    order = np.argsort(t_sys)
    for j, v in enumerate(tru):
        dgate, tgate = ROUND_GATES if v.get("kind") == "round" else OBJECT_GATES
        for k, (la, lo, tt) in enumerate(_truth_points(v)):
            a = np.searchsorted(t_sys[order], tt - tgate)
            b = np.searchsorted(t_sys[order], tt + tgate, side="right")
            for i in order[a:b]:
                s = sys_v[i]
                if s.lat is None:
                    d2 = 1.0
                else:
                    d = float(inverse(s.lat, s.lon, la, lo)[1])
                    if d > dgate:
                        continue
                    d2 = (d / dgate) ** 2
                rows.append(i)
                cols.append(j)
                cost.append(d2 + ((s.t - tt) / tgate) ** 2)
                pts.append(k)
                cands[i].add(j)
    if not rows:
        return [], cands
    # keep the best point of each (sys, truth) pair
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for i, j, c, k in zip(rows, cols, cost, pts, strict=True):
        if (i, j) not in best or c < best[(i, j)][0]:
            best[(i, j)] = (c, k)
    keys = list(best)
    ri = np.array([k[0] for k in keys])
    cj = np.array([k[1] for k in keys])
    n_s, n_t = len(sys_v), len(tru)
    g = coo_matrix((np.ones(len(keys)), (ri, cj + n_s)), shape=(n_s + n_t, n_s + n_t))
    _, label = connected_components(g, directed=False)
    matches: list[tuple[int, int, int]] = []
    by_comp: dict[int, list[int]] = {}
    for e, i in enumerate(ri):
        by_comp.setdefault(int(label[i]), []).append(e)
    for edges in by_comp.values():
        si = sorted({int(ri[e]) for e in edges})
        tj = sorted({int(cj[e]) for e in edges})
        big = 1e6
        mat = np.full((len(si), len(tj)), big)
        for e in edges:
            mat[si.index(int(ri[e])), tj.index(int(cj[e]))] = best[(int(ri[e]), int(cj[e]))][0]
        r, c = linear_sum_assignment(mat)
        for a, b in zip(r, c, strict=True):
            if mat[a, b] < big:
                i, j = si[a], tj[b]
                matches.append((i, j, best[(i, j)][1]))
    return matches, cands


def _observation_index(
    path: Path | None, wanted: set[str]
) -> dict[str, tuple[float, float, float, float, float]]:
    out: dict[str, tuple[float, float, float, float, float]] = {}
    if path is None or not path.exists():
        return out
    with path.open() as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] in wanted and "observer" in rec:
                out[rec["id"]] = (
                    rec["observer"]["lat"],
                    rec["observer"]["lon"],
                    rec.get("bearing_sigma_deg", math.nan),
                    rec.get("range_sigma_m", math.nan),
                    rec.get("time_sigma_s", math.nan),
                )
    return out


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
) -> dict[str, Any]:
    """All the scores, as a JSON-able dict (see the module docstring)."""
    tru_all = truth["violations"]
    tru = [v for v in tru_all if v.get("perceived", True) or not perceived_only]
    rounds = {r["id"]: r for r in truth.get("rounds", [])}
    rules = sorted({v["rule"] for v in tru} | {s.rule for s in system})
    matched: list[tuple[_Sys, dict[str, Any], int]] = []
    doubles = 0
    per_rule: dict[str, dict[str, Any]] = {}
    for rule in rules:
        sv = [s for s in system if s.rule == rule]
        tv = [v for v in tru if v["rule"] == rule]
        m, cands = _match(sv, tv)
        got_t = {j for _, j, _ in m}
        got_s = {i for i, _, _ in m}
        d = sum(1 for i in range(len(sv)) if i not in got_s and cands[i] & got_t)
        doubles += d
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
        "per_rule": per_rule,
    }
    # localization and the bound
    errs, bound_traces, errs_b, cover = [], [], [], []
    wanted: set[str] = set()
    for _, v, k in matched:
        if "round" in v and v["round"] in rounds:
            r = rounds[v["round"]]
            wanted.update(r["launch_observations" if k == 0 else "impact_observations"])
    obs_idx = _observation_index(observations, wanted)
    for s, v, k in matched:
        if s.lat is None or s.lon is None:
            continue
        la, lo, _ = _truth_points(v)[k]
        err = float(inverse(s.lat, s.lon, la, lo)[1])
        errs.append(err)
        c = _inside_ellipse(s, la, lo)
        if c is not None:
            cover.append(c)
        if "round" in v and v["round"] in rounds and obs_idx:
            ids = rounds[v["round"]]["launch_observations" if k == 0 else "impact_observations"]
            rows = [obs_idx[i] for i in ids if i in obs_idx]
            if len({(a, b) for a, b, *_ in rows}) >= 3:
                arr = np.array(rows, dtype=np.float64)
                cb = crlb_position(la, lo, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4])
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
    rel = []
    for lo_b, hi_b in itertools.pairwise(BINS):
        sel = [(s, v) for s, v, _ in matched if lo_b <= s.p < hi_b]
        if not sel:
            continue
        ok = [
            (
                s.party
                if s.party != "undetermined"
                else max(s.probs, key=lambda x: s.probs[x], default="")
            )
            == v["party"]
            for s, v in sel
        ]
        rel.append(
            {
                "bin": f"{lo_b:.2f}-{min(hi_b, 1.0):.2f}",
                "n": len(sel),
                "mean_p": float(np.mean([s.p for s, _ in sel])),
                "accuracy": float(np.mean(ok)),
            }
        )
    out["reliability"] = rel
    return out


def score_files(
    truth: Path, violations: Path, observations: Path | None = None, perceived_only: bool = True
) -> dict[str, Any]:
    """``score`` on files; ``observations`` defaults to the truth's sibling file."""
    t = json.loads(Path(truth).read_text())
    if observations is None:
        cand = Path(truth).parent / "observations.ndjson"
        observations = cand if cand.exists() else None
    return score(t, load_system(violations), observations, perceived_only=perceived_only)
