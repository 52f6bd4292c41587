"""Attribution on a scenario family: where named accuracy and calibration are lost.

    .venv/bin/python benchmarks/family_attribution.py [--sets tuning] [--procs 2]
        [--json out.json] [--report out.json] [--events DIR] [--assess-set FIELD=JSON]

Issue 21 asks for >= 97 % of named attributions right with the undetermined share
within 3 points of the oracle's, and a reliability of ``party_probability`` within
+-3 points per bin. ``bench_family.py`` measures both; this benchmark asks whether
the probability model could reach them with the system's association, or whether
association sets the limit. Each draw is fused, judged and matched to the truth
twice, as ``bench_family.py`` does (the system, and association told the truth:
``oracle.py``); per matched violation it keeps the stated probability, whether the
likeliest party is the shooter, the basis the attribution names, and the parts of its
event (:func:`_parts`: kind, weapon, observers, pairing flags, side doubt, and how many
of its reports are of the true round's launch, of its impact, of neither). Reported,
pooled over the draws of each set (TEST 0-39, TUNING 1000-1039, the same split as
``bench_family.py``):

- per basis: matched, named, right when named, the reliability bins; and of the
  wrong names, how many hold no report of their true round's launch (the launch
  evidence is another round's: a join or association error, not a side error);
- the naming threshold swept (the mandate's is 0.9): named accuracy against the
  undetermined share, system and oracle: the least undetermined share at which the
  system names >= 97 % right, beside the oracle's share at its own threshold;
- a recalibration fitted where it may be (isotonic regression of right on the
  stated probability, per basis, on TUNING) and applied to TEST: whether a monotone
  map of the probabilities, the most any probability model built on the same
  events could do per basis, carries over to draws it did not see;
- the undetermined gap (system's undetermined share minus the oracle's, points, per
  draw) and where it comes from: over the true violations both match, the ones one
  names and the other leaves undetermined, grouped by the two bases (on the worst
  decile's draws and on all), with where the system holds the round's launch reports
  when only the oracle's event locates the launch (:func:`_launch_held`); and the
  worst decile that the draws' own sampling noise alone would give, were every draw's
  gap the pooled one (:func:`noise_worst_decile`: matched violations resampled
  within each draw);
- the named attributions by class (:func:`named_class`: a launch point across the line
  or short, close call, side doubt; a firing position paired or lone, its observers,
  how many σ from the line; a sighting's object and markings): named, wrong, the wrong
  names the stated probabilities expect, the accuracy's 95 % interval, and the
  undetermined ones' share right (:func:`wrong_classes`); and how many of the names one
  of system and oracle gives and the other does not come from the same event (the same
  reports), where attribution rather than association decides
  (:func:`same_event_flips`). Each row also keeps the event's signed distance from the
  line and spread across it (m, > 0 left), its launch point's, and the true launch's
  and impact's;
- why the system leaves undetermined the violations the oracle names
  (:func:`undetermined_cause`, :func:`cause_table`; on the worst decile's draws and on
  all): a double count (another event of the round is located:
  :func:`round_elsewhere`), no launch located (by where the round's launch reports
  are), a launch ellipse straddling the line, or a located launch named below the
  threshold.

``--events DIR`` keeps each draw's fused events (system and oracle) in DIR and reads
them back on the next run, so that ``--assess-set FIELD=JSON`` (an
``AttributionConfig`` field, for system and oracle alike) measures an attribution
change in minutes without fusing again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing as mp
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from family_cli import drawn
from oracle import Oracle, patched

from ceasefire.assess import assess
from ceasefire.assess.sides import AttributionConfig
from ceasefire.assess.table import build_table
from ceasefire.fuse import engine
from ceasefire.model import Event
from ceasefire.model.reliability import reliability_bins
from ceasefire.model.results import side_doubt
from ceasefire.model.vocab import LAUNCH_EVENT_KINDS
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.scoring import matched_truth, system_from_features

SETS = {"test": tuple(range(0, 40)), "tuning": tuple(range(1000, 1040))}
THRESHOLDS = (0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)
TARGET_ACCURACY = 0.97
UNDETERMINED_POINTS = 3.0
_BASIS_NOTE = "attributed from the "


def _basis(notes: tuple[str, ...]) -> str:
    for n in notes:
        if n.startswith(_BASIS_NOTE):
            return n[len(_BASIS_NOTE) :]
    return "marking or track"


def _parts(e: Event | None, rnd: dict[str, Any] | None) -> dict[str, Any]:
    """What an attribution was made of: the event's kind, weapon, observers, pairing
    flags and side doubt, and how many of its reports are of the true round's
    launch, of its impact, and of neither (another round, clutter)."""
    if e is None:
        return {}
    parts = {
        "kind": e.kind,
        "weapon": e.weapon,
        "n_observers": e.n_observers,
        "paired": "paired" in e.flags,
        "launch_ray": "launch_ray" in e.flags,
        "close_call": "pair_close_call" in e.flags,
        "side_doubt": side_doubt(e.flags),
        "object": e.object,
        "marked": e.party_marked is not None,
        # the event's reports, to tell the system's and the oracle's event apart
        "reports": hashlib.sha1("\0".join(sorted(e.observation_ids)).encode()).hexdigest()[:16],
    }
    if rnd is None:  # not a round's violation (a weapon seen): no phases to count
        return parts
    launch, impact = set(rnd["launch_observations"]), set(rnd["impact_observations"])
    ids = e.observation_ids
    n_launch = sum(o in launch for o in ids)
    n_impact = sum(o in impact for o in ids)
    return parts | {
        "of_launch": n_launch,
        "of_impact": n_impact,
        "of_neither": len(ids) - n_launch - n_impact,
    }


def _launch_held(e: Event | None, rnd: dict[str, Any] | None, held: dict[str, Event]) -> str:
    """Where the fused events hold the launch reports of ``e``'s true round: in ``e``,
    in another event that locates a launch (a paired round's launch point, or a located
    launch), in another located event, in a lone report, in no event (``held``: each
    report's event; the event holding the most of them is read)."""
    if rnd is None or not rnd["launch_observations"]:
        return "no launch reports"
    count: dict[str, int] = {}
    by: dict[str, Event] = {}
    for o in rnd["launch_observations"]:
        if (h := held.get(o)) is not None:
            count[h.id] = count.get(h.id, 0) + 1
            by[h.id] = h
    if not count:
        return "in no event"
    best = by[max(count, key=count.__getitem__)]
    if e is not None and best.id == e.id:
        return "in this event"
    if best.launch_lat is not None or (best.lat is not None and best.kind in LAUNCH_EVENT_KINDS):
        return "in another event that locates a launch"
    if best.lat is not None:
        return "in another located event"
    return "in a lone report"


def rounds_own_events(
    events: list[Event], rounds: dict[str, dict[str, Any]]
) -> dict[str, list[Event]]:
    """Per true round id: the events more than half of whose reports are of that
    round's launch or impact."""
    of_round = {
        o: rid
        for rid, r in rounds.items()
        for o in (*r["launch_observations"], *r["impact_observations"])
    }
    out: dict[str, list[Event]] = {}
    for e in events:
        count: dict[str, int] = {}
        for o in e.observation_ids:
            if (rid := of_round.get(o)) is not None:
                count[rid] = count.get(rid, 0) + 1
        for rid, c in count.items():
            if 2 * c > len(e.observation_ids):
                out.setdefault(rid, []).append(e)
    return out


def round_elsewhere(e: Event | None, own: list[Event]) -> str:
    """Whether another event than ``e`` is its true round's own (``own``: the events
    more than half of whose reports are that round's, :func:`rounds_own_events`): one
    that locates a launch, another located one, or none. Beside a located event of
    the round, ``e`` counts the round twice (a double count, not attribution's loss)."""
    best = "none"
    for o in own:
        if e is not None and o.id == e.id:
            continue
        if o.launch_lat is not None or (o.lat is not None and o.kind in LAUNCH_EVENT_KINDS):
            return "the round's event locating its launch"
        if o.lat is not None:
            best = "the round's located event"
    return best


def elsewhere_matched(
    e: Event | None, own: list[Event], matched: dict[str, str], round_id: str
) -> str:
    """What the scorer matched a located event of ``e``'s round other than ``e`` to
    (``own`` as in :func:`round_elsewhere`; ``matched``: each matched violation's event
    id to its true violation's round id): "another violation of this round" (the
    round has a violation of another rule), "another round's violation" (the event is
    this round's by its reports, placed where another round is), "nothing" (the
    scorer's double count), or "no other located event"."""
    others = [o for o in own if o.lat is not None and (e is None or o.id != e.id)]
    if not others:
        return "no other located event"
    rounds = [matched[o.id] for o in others if o.id in matched]
    if round_id in rounds:
        return "another violation of this round"
    return "another round's violation" if rounds else "nothing"


def _geometry(events: list[Event], m: Any) -> dict[str, dict[str, Any]]:
    """Per event id: its signed distance from the line and spread across it (m, > 0
    left; None without a position), the same for its launch point, its direction
    class and whether fusion took its kind from that class."""
    t = build_table(events, m)

    def num(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    return {
        e.id: {
            "signed_m": num(t.signed_m[i]),
            "sigma_n_m": num(t.sigma_n_m[i]),
            "launch_signed_m": num(t.launch_signed_m[i]),
            "launch_sigma_n_m": num(t.launch_sigma_n_m[i]),
            "direction": e.direction,
            "kind_by_direction": bool(t.kind_by_direction[i]),
            "bearing": e.bearing_deg is not None,
        }
        for i, e in enumerate(t.events)
    }


def _true_sides(rounds: list[dict[str, Any]], m: Any) -> dict[str, dict[str, float]]:
    """Per round id: its true launch's and impact's signed distances from the line (m)."""
    if not rounds:
        return {}
    out: dict[str, dict[str, float]] = {}
    for phase in ("launch", "impact"):
        lat = np.array([r[phase]["lat"] for r in rounds])
        lon = np.array([r[phase]["lon"] for r in rounds])
        near = m.contact.nearest(lat, lon)
        for r, s in zip(rounds, near.side * near.distance_m, strict=True):
            out.setdefault(r["id"], {})[f"true_{phase}_signed_m"] = float(s)
    return out


#: where fused events are kept between runs (``--events``; None: fuse every time)
EVENTS_DIR: Path | None = None
#: attribution allowances changed from the mandate's (``--assess-set``)
ASSESS_SET: dict[str, Any] = {}


def _fused(sc: Any, m: Any, t0: float, t1: float, key: str) -> list[Event]:
    """The draw's fused events within ``[t0, t1)``, read from :data:`EVENTS_DIR` under
    ``key`` when kept there (fused and kept otherwise)."""
    path = EVENTS_DIR / f"{key}.pickle" if EVENTS_DIR is not None else None
    if path is not None and path.exists():
        kept: list[Event] = pickle.loads(path.read_bytes())
        return kept
    cfg = replace(fuse_config(m), workers=1)  # in this process: the oracle is patched here
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    if path is not None:
        path.write_bytes(pickle.dumps(events))
    return events


def _rows(sc: Any, m: Any, t0: float, t1: float, key: str) -> list[dict[str, Any]]:
    """Per matched violation: stated probability, named, right, basis, its parts,
    the true violation's id and where its round's launch reports are held."""
    events = _fused(sc, m, t0, t1, key)
    by_id = {e.id: e for e in events}
    held = {o: e for e in events for o in e.observation_ids}
    rounds = {r["id"]: r for r in sc.truth.get("rounds", [])}
    geo = _geometry(events, m)
    own = rounds_own_events(events, rounds)
    true_side = _true_sides(list(rounds.values()), m)
    vs = assess(events, m, replace(AttributionConfig.for_mandate(m), **ASSESS_SET))
    system = system_from_features([violation_feature(v) for v in vs])
    out = []
    pairs = matched_truth(sc.truth, system)
    matched = {e_id: str(tv.get("round", "")) for i, tv in pairs for e_id in vs[i].event_ids}
    for i, tv in pairs:
        v = vs[i]
        named = v.party != "undetermined"
        likeliest = v.party if named else max(v.probabilities, key=v.probabilities.__getitem__)
        # the parts of a violation of one event (a round's; a weapon track's has none)
        event = by_id.get(v.event_ids[0]) if len(v.event_ids) == 1 else None
        rnd = rounds.get(tv.get("round", ""))
        out.append(
            {
                "truth": tv["id"],
                "launch_held": _launch_held(event, rnd, held),
                "round_elsewhere": round_elsewhere(event, own.get(tv.get("round", ""), [])),
                "elsewhere_matched": elsewhere_matched(
                    event, own.get(tv.get("round", ""), []), matched, tv.get("round", "")
                ),
                "p": v.party_probability,
                "named": named,
                "right": likeliest == tv["party"],
                "basis": _basis(v.notes),
                "party": v.party,
                "true_party": tv["party"],
                **_parts(event, rnd),
                **(geo.get(event.id, {}) if event is not None else {}),
                **true_side.get(tv.get("round", ""), {}),
            }
        )
    return out


def run_draw(k: int) -> dict[str, Any]:
    """Draw ``k`` of the ``varied`` family: its matched violations, system and oracle."""
    m, _, sc, t0, t1 = drawn(k)
    system = _rows(sc, m, t0, t1, f"{k}-system")
    oracle = Oracle(sc.truth)
    undo = patched(oracle)
    try:
        orc = _rows(sc, m, t0, t1, f"{k}-oracle")
    finally:
        undo()
    if oracle.calls == 0 and EVENTS_DIR is None:
        raise RuntimeError("the oracle was never called: fusion no longer goes through associate")
    return {"draw": k, "system": system, "oracle": orc}


# ----------------------------------------------------------------- the figures


def _arrays(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.array([r["p"] for r in rows], dtype=np.float64)
    right = np.array([r["right"] for r in rows], dtype=bool)
    basis = np.array([r["basis"] for r in rows], dtype=object)
    return p, right, basis


def _worst_bin(p: np.ndarray, right: np.ndarray) -> tuple[float, str]:
    """The reliability bin furthest off (observed - stated, points) and its name."""
    worst, name = 0.0, ""
    for lo, hi, _n, mean_p, share in reliability_bins(p, right):
        off = 100 * (share - mean_p)
        if abs(off) > abs(worst):
            worst, name = off, f"{lo:.2f}-{hi:.2f}"
    return worst, name


def at_threshold(p: np.ndarray, right: np.ndarray, thr: float) -> tuple[float, float, int]:
    """Named accuracy, undetermined share and named count when naming at ``p >= thr``."""
    named = p >= thr
    acc = float(right[named].mean()) if named.any() else float("nan")
    return acc, 1.0 - float(named.mean()), int(named.sum())


def isotonic(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool-adjacent-violators fit of ``y`` (0/1) on ``p``: step knots and values."""
    o = np.argsort(p, kind="stable")
    xs, ys = p[o], y[o].astype(np.float64)
    sums: list[float] = []
    counts: list[int] = []
    starts: list[int] = []
    for i, v in enumerate(ys):
        sums.append(v)
        counts.append(1)
        starts.append(i)
        while len(sums) > 1 and sums[-2] / counts[-2] > sums[-1] / counts[-1]:
            s, c = sums.pop(), counts.pop()
            starts.pop()
            sums[-1] += s
            counts[-1] += c
    return xs[starts], np.array(sums) / np.array(counts)


def apply_isotonic(fit: tuple[np.ndarray, np.ndarray], p: np.ndarray) -> np.ndarray:
    knots, values = fit
    i = np.clip(np.searchsorted(knots, p, side="right") - 1, 0, len(values) - 1)
    return np.asarray(values[i], dtype=np.float64)


def summarize(rows: list[dict[str, Any]], who: str) -> dict[str, Any]:
    """Per basis, the threshold sweep and the worst bin of one set's pooled rows."""
    pooled = [r for d in rows for r in d[who]]
    p, right, basis = _arrays(pooled)
    # the launch evidence is another round's: the event holds no report of the launch
    other_launch = np.array([r.get("of_launch", 1) == 0 for r in pooled], dtype=bool)
    per_basis = {}
    for b in sorted(set(basis)):
        sel = basis == b
        acc, _, named = at_threshold(p[sel], right[sel], 0.9)
        worst, where = _worst_bin(p[sel], right[sel])
        wrong = sel & (p >= 0.9) & ~right
        per_basis[b] = {
            "matched": int(sel.sum()),
            "named": named,
            "accuracy": acc,
            "wrong_without_launch": int((wrong & other_launch).sum()),
            "worst_bin_points": worst,
            "worst_bin": where,
        }
    sweep = {f"{t:g}": at_threshold(p, right, t) for t in THRESHOLDS}
    worst, where = _worst_bin(p, right)
    return {
        "matched": len(pooled),
        "per_basis": per_basis,
        "sweep": sweep,
        "worst_bin_points": worst,
        "worst_bin": where,
    }


def transfer(fit_rows: list[dict[str, Any]], on_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Isotonic maps per basis fitted on ``fit_rows`` (system), applied to ``on_rows``."""
    fp, fr, fb = _arrays([r for d in fit_rows for r in d["system"]])
    p, right, basis = _arrays([r for d in on_rows for r in d["system"]])
    q = p.copy()
    for b in set(basis):
        if (fb == b).sum() >= 50:
            sel = basis == b
            q[sel] = np.maximum(0.5, apply_isotonic(isotonic(fp[fb == b], fr[fb == b]), p[sel]))
    acc, und, _ = at_threshold(q, right, 0.9)
    worst, where = _worst_bin(q, right)
    acc0, und0, _ = at_threshold(p, right, 0.9)
    worst0, where0 = _worst_bin(p, right)
    return {
        "before": {
            "accuracy": acc0,
            "undetermined": und0,
            "worst_bin_points": worst0,
            "worst_bin": where0,
        },
        "after": {
            "accuracy": acc,
            "undetermined": und,
            "worst_bin_points": worst,
            "worst_bin": where,
        },
    }


#: the bases that locate a round's launch
LOCATED_LAUNCH = ("launch point", "firing position")
#: the gap's part not made of named / undetermined flips on true violations both match
BY_ONE = "matched by one only (and the matched counts' difference)"


def undetermined_gap(d: dict[str, Any]) -> float:
    """A draw's undetermined share, system minus oracle, points (NaN if either
    matched nothing)."""
    s, o = d["system"], d["oracle"]
    if not s or not o:
        return float("nan")
    return 100.0 * (
        sum(not r["named"] for r in s) / len(s) - sum(not r["named"] for r in o) / len(o)
    )


def _gap_group(s: dict[str, Any], o: dict[str, Any]) -> str:
    """Why one names a true violation and the other does not, by the two bases."""
    sb, ob = s["basis"], o["basis"]
    if ob in LOCATED_LAUNCH and sb not in LOCATED_LAUNCH:
        return "the oracle's event locates the launch, the system's does not"
    if sb in LOCATED_LAUNCH and ob not in LOCATED_LAUNCH:
        return "the system's event locates the launch, the oracle's does not"
    if sb == ob:
        return f"the same basis: {sb}"
    return "other bases"


#: a side doubt this large blurs a launch point's name (attribution takes it up to 1/2)
DOUBT = 0.05
#: a launch point this many of its σ from the line or nearer is a wide ellipse
WIDE_Z = 2.5
#: an impact this near the line reads little from the aiming prior (``across_p``), m
NEAR_LINE_M = 1_000.0


def undetermined_reading(r: dict[str, Any]) -> str:
    """What the system's attribution read for a violation it leaves undetermined: a
    launch point's side doubt (>= :data:`DOUBT`), close call, impact on the launch's
    own side, or an ellipse within :data:`WIDE_Z` σ of the line; a firing position;
    an impact alone near the line (< :data:`NEAR_LINE_M`) or farther (the aiming prior
    alone); or the basis (bearings) as it is."""
    b = r["basis"]
    if b == "launch point":
        ls, sd, sm = r.get("launch_signed_m"), r.get("launch_sigma_n_m"), r.get("signed_m")
        if r.get("side_doubt", 0.0) >= DOUBT:
            return "launch point, side doubt"
        if r.get("close_call"):
            return "launch point, close call"
        if ls is not None and sm is not None and ls * sm > 0.0:
            return "launch point, impact on the launch's side"
        if ls is not None and sd and abs(ls) < WIDE_Z * sd:
            return "launch point, a wide ellipse"
        return "launch point, other"
    if b == "impact across the line":
        sm = r.get("signed_m")
        near = sm is not None and abs(sm) < NEAR_LINE_M
        return f"impact alone, {'near' if near else 'far from'} the line"
    return b


def undetermined_cause(r: dict[str, Any]) -> str:
    """Why the system leaves a violation undetermined (``r``: its system row), by
    issue 21's causes: a double count (its event locates no launch, and another
    event of the same round is located: :func:`round_elsewhere`; unless the scorer
    matched that event to another round's violation, :func:`elsewhere_matched`: then
    the round's located event stands for a sibling); no launch located,
    by where the round's launch reports are (:func:`_launch_held`); a located launch
    whose ellipse straddles the line (within :data:`WIDE_Z` σ); or a located launch
    clear of the line named below the threshold, by what blurred it
    (:func:`undetermined_reading`)."""
    b = r["basis"]
    located = b in LOCATED_LAUNCH
    if not located and r.get("round_elsewhere", "none") != "none":
        if r.get("elsewhere_matched") == "another round's violation":
            # the scorer gave the round's located event to a sibling's true violation:
            # one event located for two rounds, the other left with a lone report
            return "beside " + r["round_elsewhere"] + ", matched to another round"
        return "double count: beside " + r["round_elsewhere"]
    if not located:
        held = r.get("launch_held", "")
        where = {
            "in this event": "its launch reports in this event, unlocated",
            "in another event that locates a launch": "its launch reports in another round's "
            "located launch",
            "in another located event": "its launch reports in another located event",
            "in a lone report": "its launch reports lone",
            "in no event": "its launch reports in no event",
        }.get(held, "no launch reports")
        return f"no launch located: {where}"
    if b == "launch point":
        ls, sd = r.get("launch_signed_m"), r.get("launch_sigma_n_m")
    else:
        ls, sd = r.get("signed_m"), r.get("sigma_n_m")
    if ls is not None and sd and abs(ls) < WIDE_Z * sd:
        return "launch ellipse straddles the line"
    if b == "firing position":
        return "below threshold: a firing position"
    return "below threshold: " + undetermined_reading(r)


def cause_table(draws: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Over the true violations the oracle names and the system leaves undetermined:
    per :func:`undetermined_cause`, how many, and how many of them the system's
    likeliest party gets right (``right``) and the oracle's name gets right."""
    out: dict[str, dict[str, int]] = {}
    for d in draws:
        orc_by = {r["truth"]: r for r in d["oracle"]}
        for s in d["system"]:
            o = orc_by.get(s["truth"])
            if o is None or s["named"] or not o["named"]:
                continue
            c = out.setdefault(undetermined_cause(s), {"n": 0, "right": 0, "oracle_right": 0})
            c["n"] += 1
            c["right"] += bool(s["right"])
            c["oracle_right"] += bool(o["right"])
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["n"]))


def gap_sources(draws: list[dict[str, Any]]) -> dict[str, Any]:
    """The draws' mean undetermined gap split into points by :func:`_gap_group` over
    the true violations both match and one of them names (each flip weighs 100 /
    the system's matched count of its draw; undetermined by the system: +), the rest
    :data:`BY_ONE`; and where the system holds the round's launch reports for the
    violations the oracle names from a located launch and the system leaves
    undetermined without one (:func:`_launch_held`); and for every violation the oracle
    names and the system does not, what the system read (:func:`undetermined_reading`)."""
    points: dict[str, float] = {}
    held: dict[str, int] = {}
    read: dict[str, int] = {}
    n = len(draws)
    for d in draws:
        sys_by = {r["truth"]: r for r in d["system"]}
        orc_by = {r["truth"]: r for r in d["oracle"]}
        flips = 0.0
        for t in sys_by.keys() & orc_by.keys():
            s, o = sys_by[t], orc_by[t]
            if s["named"] == o["named"]:
                continue
            w = (100.0 if o["named"] else -100.0) / len(d["system"])
            g = _gap_group(s, o)
            points[g] = points.get(g, 0.0) + w / n
            flips += w
            if o["named"] and g.startswith("the oracle's"):
                held[s["launch_held"]] = held.get(s["launch_held"], 0) + 1
            if o["named"]:
                k = undetermined_reading(s)
                read[k] = read.get(k, 0) + 1
        points[BY_ONE] = points.get(BY_ONE, 0.0) + (undetermined_gap(d) - flips) / n
    return {
        "mean_gap": float(np.mean([undetermined_gap(d) for d in draws])),
        "points": dict(sorted(points.items(), key=lambda kv: -abs(kv[1]))),
        "launch_held": dict(sorted(held.items(), key=lambda kv: -kv[1])),
        "system_read": dict(sorted(read.items(), key=lambda kv: -kv[1])),
    }


def _undetermined(r: dict[str, Any] | None) -> bool:
    return r is not None and not r["named"]


def noise_worst_decile(
    draws: list[dict[str, Any]], samples: int = 500, seed: int = 0
) -> tuple[float, float, float]:
    """The pooled gap (points), and the worst decile of the draws' gaps that their
    sampling noise alone would give (mean and sd over ``samples``): each draw's true
    violations (matched by either) resampled with replacement, its gap moved by the
    resample's change from its own gap onto the pooled gap."""
    rng = np.random.default_rng(seed)
    cols = []
    for d in draws:
        sys_by = {r["truth"]: r for r in d["system"]}
        orc_by = {r["truth"]: r for r in d["oracle"]}
        # per true violation: matched by the system, undetermined there, the same for the oracle
        col = [
            (t in sys_by, _undetermined(sys_by.get(t)), t in orc_by, _undetermined(orc_by.get(t)))
            for t in sorted(sys_by.keys() | orc_by.keys())
        ]
        cols.append(np.array(col, dtype=np.float64).reshape(-1, 4))

    def gap(c: np.ndarray) -> float:
        ms, us, mo, uo = c.sum(axis=0)
        return 100.0 * (us / ms - uo / mo) if ms and mo else float("nan")

    tot = np.sum([c.sum(axis=0) for c in cols], axis=0)
    pooled = 100.0 * (tot[1] / tot[0] - tot[3] / tot[2])
    own = np.array([gap(c) for c in cols])
    worst = []
    for _ in range(samples):
        moved = [gap(c[rng.integers(0, len(c), len(c))]) for c in cols]
        g = np.array(moved) - own + pooled
        worst.append(float(np.nanpercentile(g, 90)))
    return float(pooled), float(np.mean(worst)), float(np.std(worst))


def undetermined_figures(draws: list[dict[str, Any]]) -> dict[str, Any]:
    """One set's undetermined gap: median, worst decile, pooled, the noise's worst
    decile, and the sources on the worst decile's draws (at or above it) and on all."""
    gaps = np.array([undetermined_gap(d) for d in draws])
    worst_decile = float(np.nanpercentile(gaps, 90))
    worst = [d for d, g in zip(draws, gaps, strict=True) if g >= worst_decile]
    pooled, noise, noise_sd = noise_worst_decile(draws)
    return {
        "median": float(np.nanmedian(gaps)),
        "worst_decile": worst_decile,
        "pooled": pooled,
        "noise_worst_decile": noise,
        "noise_worst_decile_sd": noise_sd,
        "worst_draws": {
            d["draw"]: float(g) for d, g in zip(draws, gaps, strict=True) if g >= worst_decile
        },
        "sources_worst": gap_sources(worst),
        "causes_worst": cause_table(worst),
        "causes_all": cause_table(draws),
        "sources_all": gap_sources(draws),
    }


#: a firing position this many of its σ across the line or more is a sure side
SURE_Z = 4.0


def named_class(r: dict[str, Any]) -> str:
    """What a matched violation's attribution is made of, finer than its basis: a
    launch point's impact across the line from its launch or on its own side (short),
    the close call and the side doubt; a firing position joined to an impact
    (``paired``) or lone, its observers and how many σ it lies from the line; a
    sighting's object and markings; a bearing with or without a position."""
    b = r["basis"]
    if b == "launch point" and r.get("launch_signed_m") is not None:
        short = (r.get("signed_m") or 0.0) * r["launch_signed_m"] > 0.0
        return (
            f"launch point, {'short' if short else 'across'}, "
            f"{'close call' if r.get('close_call') else 'clear'}, "
            f"{'doubt' if r.get('side_doubt', 0.0) >= 0.005 else 'no doubt'}"
        )
    if b == "firing position" and r.get("signed_m") is not None:
        z = abs(r["signed_m"]) / max(r.get("sigma_n_m") or 1.0, 1e-9)
        return (
            f"firing position, {'paired' if r.get('paired') else 'lone'}, "
            f"{'<= 3' if r.get('n_observers', 0) <= 3 else '4+'} observers, "
            f"{'|z| < 4' if z < SURE_Z else '|z| >= 4'}"
        )
    if r.get("kind") == "sighting":
        return f"sighting of {r.get('object')}, {'marked' if r.get('marked') else 'unmarked'}"
    if b == "launch bearing and the impact":
        return f"{b}, {'doubt' if r.get('side_doubt', 0.0) >= 0.005 else 'no doubt'}"
    return b


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson interval of a binomial share ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    d = 1.0 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def wrong_classes(draws: list[dict[str, Any]], who: str = "system") -> list[dict[str, Any]]:
    """Per :func:`named_class`, pooled over ``draws``: matched, named, named wrong
    (the likeliest party is not the shooter), the wrong names the stated
    probabilities expect (sum of 1 - p), the named accuracy with its Wilson interval,
    and the undetermined ones with their share right; most excess wrong first."""
    by: dict[str, list[dict[str, Any]]] = {}
    for d in draws:
        for r in d[who]:
            by.setdefault(named_class(r), []).append(r)
    out = []
    for c, rs in by.items():
        named = [r for r in rs if r["named"]]
        wrong = sum(not r["right"] for r in named)
        undet = [r for r in rs if not r["named"]]
        lo, hi = wilson(len(named) - wrong, len(named))
        out.append(
            {
                "class": c,
                "matched": len(rs),
                "named": len(named),
                "wrong": wrong,
                "expected_wrong": float(sum(1.0 - r["p"] for r in named)),
                "stated": float(np.mean([r["p"] for r in named])) if named else float("nan"),
                "accuracy_interval": (lo, hi),
                "undetermined": len(undet),
                "undetermined_right": sum(r["right"] for r in undet),
            }
        )
    return sorted(out, key=lambda c: -(c["wrong"] - c["expected_wrong"]))


def same_event_flips(draws: list[dict[str, Any]]) -> dict[str, int]:
    """Over the true violations both match where one names a party and the other
    does not: how many, and how many of them the two judge from the same event (the
    same reports), where attribution and not association loses or gains the name."""
    out = {"oracle_names": 0, "oracle_names_same": 0, "system_names": 0, "system_names_same": 0}
    for d in draws:
        sys_by = {r["truth"]: r for r in d["system"]}
        orc_by = {r["truth"]: r for r in d["oracle"]}
        for t in sys_by.keys() & orc_by.keys():
            s, o = sys_by[t], orc_by[t]
            if s["named"] == o["named"]:
                continue
            key = "oracle_names" if o["named"] else "system_names"
            out[key] += 1
            out[key + "_same"] += int(
                s.get("reports") is not None and s.get("reports") == o.get("reports")
            )
    return out


def report(figures: dict[str, Any]) -> None:
    for name, s in figures["sets"].items():
        sysf, orc = s["system"], s["oracle"]
        print(f"\n== {name} draws: {sysf['matched']:,} matched (oracle {orc['matched']:,})")
        print(
            f"{'basis':32} {'matched':>7} {'named':>6} {'right':>6} {'wrong, no launch':>16} "
            f"{'worst bin':>16}"
        )
        for b, r in sysf["per_basis"].items():
            print(
                f"{b:32} {r['matched']:>7} {r['named']:>6} {100 * r['accuracy']:>5.1f}% "
                f"{r.get('wrong_without_launch', 0):>16} "
                f"{r['worst_bin_points']:>+6.1f} {r['worst_bin']:>9}"
            )
        print(
            f"reliability, worst bin: system {sysf['worst_bin_points']:+.1f} "
            f"({sysf['worst_bin']}), oracle {orc['worst_bin_points']:+.1f} "
            f"({orc['worst_bin']})"
        )
        print(f"{'threshold':>9} | {'system right':>12} {'undet':>6} | {'oracle':>12} {'undet':>6}")
        for t in THRESHOLDS:
            a, u, _ = sysf["sweep"][f"{t:g}"]
            oa, ou, _ = orc["sweep"][f"{t:g}"]
            print(f"{t:>9g} | {100 * a:>11.1f}% {u:>6.3f} | {100 * oa:>11.1f}% {ou:>6.3f}")
        o_und = orc["sweep"]["0.9"][1]
        ok = [(t, v) for t, v in sysf["sweep"].items() if v[0] >= TARGET_ACCURACY]
        if ok:
            t, (a, u, _) = min(ok, key=lambda tv: tv[1][1])
            print(
                f"system names >= 97 % right from threshold {t}: undetermined {u:.3f}, "
                f"{100 * (u - o_und):+.1f} points over the oracle's {o_und:.3f} (target <= +3)"
            )
        else:
            print("system never names >= 97 % right on the swept thresholds")
        if "classes" in s:
            _report_classes(s["classes"], s["flips"])
        if "undetermined" in s:
            _report_gap(s["undetermined"])
    if "transfer" in figures:
        t = figures["transfer"]
        b, a = t["before"], t["after"]
        print("\nisotonic per basis fitted on TUNING, applied to TEST (system):")
        print(
            f"  as shipped: {100 * b['accuracy']:.1f} % named right, undetermined "
            f"{b['undetermined']:.3f}, worst bin {b['worst_bin_points']:+.1f} "
            f"({b['worst_bin']})"
        )
        print(
            f"  recalibrated: {100 * a['accuracy']:.1f} % named right, undetermined "
            f"{a['undetermined']:.3f}, worst bin {a['worst_bin_points']:+.1f} "
            f"({a['worst_bin']})"
        )


def _report_classes(classes: list[dict[str, Any]], flips: dict[str, int]) -> None:
    print(
        f"{'class (system)':58} {'named':>5} {'wrong':>5} {'expect':>6} {'stated':>6} "
        f"{'right, 95 %':>13} | {'undet':>5} {'right':>6}"
    )
    for c in classes:
        lo, hi = c["accuracy_interval"]
        ur = 100 * c["undetermined_right"] / c["undetermined"] if c["undetermined"] else 0.0
        print(
            f"{c['class'][:58]:58} {c['named']:>5} {c['wrong']:>5} {c['expected_wrong']:>6.1f} "
            f"{c['stated']:>6.3f} {100 * lo:>5.1f}-{100 * hi:>5.1f} % | {c['undetermined']:>5} "
            f"{ur:>5.1f}%"
        )
    print(
        f"named by the oracle, undetermined by the system: {flips['oracle_names']}, of them "
        f"from the same event {flips['oracle_names_same']}; the reverse: "
        f"{flips['system_names']}, {flips['system_names_same']}"
    )


def _report_gap(u: dict[str, Any]) -> None:
    print(
        f"undetermined - oracle's, points: median {u['median']:+.1f}, worst decile "
        f"{u['worst_decile']:+.1f}, pooled {u['pooled']:+.1f}; the worst decile that the "
        f"draws' sampling noise alone gives at the pooled gap: {u['noise_worst_decile']:+.1f} "
        f"(sd {u['noise_worst_decile_sd']:.1f})"
    )
    worst = ", ".join(f"{k} {g:+.1f}" for k, g in u["worst_draws"].items())
    for name, key in (
        (f"worst decile's draws ({worst})", "sources_worst"),
        ("all draws", "sources_all"),
    ):
        src = u[key]
        print(f"  where the gap comes from, {name}: mean {src['mean_gap']:+.2f} points")
        for g, pts in src["points"].items():
            print(f"    {pts:+6.2f}  {g}")
        held = ", ".join(f"{n} {h}" for h, n in src["launch_held"].items())
        print(f"    the round's launch reports where only the oracle locates the launch: {held}")
        read = ", ".join(f"{n} {k}" for k, n in src.get("system_read", {}).items())
        print(f"    what the system read where the oracle names and it does not: {read}")
        causes = u.get(key.replace("sources", "causes"), {})
        if causes:
            print(f"    why the system leaves undetermined what the oracle names, {name}:")
            for k, c in causes.items():
                print(
                    f"      {c['n']:>5}  {k} (likeliest right {c['right']}, "
                    f"oracle's name right {c['oracle_right']})"
                )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="test,tuning", help="of test, tuning (default both)")
    ap.add_argument("--procs", type=int, default=2, help="draws in parallel (at most 2)")
    ap.add_argument("--json", type=Path, help="also write every figure and row here")
    ap.add_argument("--report", type=Path, help="print the tables of a --json file again")
    ap.add_argument("--events", type=Path, help="keep the fused events here, and reuse them")
    ap.add_argument(
        "--assess-set",
        action="append",
        default=[],
        metavar="FIELD=JSON",
        help="an attribution allowance (AttributionConfig field) changed, system and oracle",
    )
    args = ap.parse_args()
    global EVENTS_DIR
    EVENTS_DIR = args.events
    if EVENTS_DIR is not None:
        EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    for kv in args.assess_set:
        field, _, value = kv.partition("=")
        ASSESS_SET[field] = json.loads(value)
    if args.report:
        report(json.loads(args.report.read_text()))
        return 0
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    rows: dict[str, list[dict[str, Any]]] = {}
    with mp.get_context("fork").Pool(max(1, min(2, args.procs))) as pool:
        for name in names:
            rows[name] = sorted(pool.map(run_draw, SETS[name]), key=lambda r: r["draw"])
            print(f"{name}: {len(rows[name])} draws", flush=True)
    figures: dict[str, Any] = {
        "sets": {
            n: {w: summarize(r, w) for w in ("system", "oracle")}
            | {
                "undetermined": undetermined_figures(r),
                "classes": wrong_classes(r),
                "flips": same_event_flips(r),
            }
            for n, r in rows.items()
        }
    }
    if "test" in rows and "tuning" in rows:
        figures["transfer"] = transfer(rows["tuning"], rows["test"])
    report(figures)
    if args.json:
        args.json.write_text(json.dumps({**figures, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
