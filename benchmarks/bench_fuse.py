"""Fusion benchmark: throughput, peak memory, association F1, double counts,
localization against the Cramér-Rao bound, ellipse coverage, and the ratio to
the straightforward baseline (``baseline_fuse.py``) and to Stone Soup (run in
its own venv, ``/tmp/ss``, when present).

    .venv/bin/python benchmarks/bench_fuse.py [--profile quiet|heavy|stress] [--quick]

Data: the simulator (``fuse_sim.py``: ``ceasefire.simulate`` on the Donbas
example, seed 1) or, with ``--data stand-in``, ``fuse_scenario.py``.

Scoring: a round is *detectable* when its launch or its impact was perceived by
enough reports to fix a position with a check: two bearing observers, or one
bearing observer and two microphones, or four microphones. An event (not flagged
``single_observer``) is matched to the round most of its reports belong to; the
first event of a round is a true positive, further events of the same round are
double counts (e.g. a launch and an impact left unpaired), events made mostly of
clutter are false.
Localization: impact events (no pairing error) with >= 3 observers, error vs
the CRLB of their true member reports at the true position.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from machine import cpu_model

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_fuse import baseline_fuse
from fuse_scenario import C, generate
from fuse_sim import MANDATE
from fuse_sim import load as load_sim

from ceasefire.fuse import FuseConfig, fuse
from ceasefire.fuse.engine import _rows
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.solve import fit
from ceasefire.mandate import load_mandate


def score_groups(
    groups: list[np.ndarray], truth, n_sources: np.ndarray, is_arrival: np.ndarray
) -> dict[str, float]:
    """F1 and double counts of groups of observation indices (multi-observer)."""
    rnd = truth.round_of_obs
    ph = truth.phase_of_obs
    key = np.where(rnd >= 0, rnd, -1)
    # detectable rounds: a phase fixable with a check (see the module docstring)
    m = rnd >= 0
    trip = np.unique(np.column_stack([rnd[m], ph[m], n_sources[m], is_arrival[m]]), axis=0)
    rp, inv = np.unique(trip[:, :2], axis=0, return_inverse=True)
    nb = np.bincount(inv.ravel(), weights=trip[:, 3] == 0, minlength=rp.shape[0])
    na = np.bincount(inv.ravel(), weights=trip[:, 3] == 1, minlength=rp.shape[0])
    detectable = np.unique(rp[(nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= 4), 0]).shape[0]
    claimed: set[int] = set()
    tp = fp = dbl = 0
    for g in groups:
        k = key[g]
        vals, c = np.unique(k, return_counts=True)
        top = int(vals[np.argmax(c)])
        if top < 0:
            fp += 1
        elif top in claimed:
            dbl += 1
        else:
            claimed.add(top)
            tp += 1
    n = tp + fp + dbl
    p = tp / max(n, 1)
    r = tp / max(detectable, 1)
    return {
        "events": n,
        "detectable_rounds": detectable,
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / max(p + r, 1e-12),
        "double_counts": dbl,
        "double_rate": dbl / max(n, 1),
        "false": fp,
    }


def localization(events, obs, truth, idx_of: dict[str, int]) -> dict[str, float]:
    """RMS error / RMS CRLB and 95 % ellipse coverage for impact events (>= 3 obs)."""
    grid = Grid(truth.frame)
    rows_all = _rows(obs, grid, FuseConfig())
    sel_rows, g_lab, tx, ty, tT, ex, ey, ecov = [], [], [], [], [], [], [], []
    for e in events:
        if e.lat is None or "paired" in e.flags or e.n_observers < 3 or e.cov_m2 is None:
            continue
        ii = np.array([idx_of[o] for o in e.observation_ids])
        r = truth.round_of_obs[ii]
        vals, c = np.unique(r, return_counts=True)
        top = int(vals[np.argmax(c)])
        if top < 0:
            continue
        good = ii[(r == top) & (truth.phase_of_obs[ii] == 1)]
        if good.shape[0] < 3 or good.shape[0] != ii.shape[0]:
            continue
        k = len(tx)
        sel_rows.append(good)
        g_lab.append(np.full(good.shape[0], k))
        tx.append(truth.impact_xy[top, 0])
        ty.append(truth.impact_xy[top, 1])
        tT.append(truth.impact_t[top])
        x, y = truth.frame.to_xy(np.array([e.lat]), np.array([e.lon]))
        ex.append(float(x[0]))
        ey.append(float(y[0]))
        ecov.append(e.cov_m2)
    if not tx:
        return {"n": 0}
    idx = np.concatenate(sel_rows)
    g = np.concatenate(g_lab)
    G = len(tx)
    f = fit(rows_all.take(idx), g, G, np.array(tx), np.array(ty), np.array(tT), C, iterations=0)
    crlb_tr = f.cov[:, 0, 0] + f.cov[:, 1, 1]
    d = np.column_stack([np.array(ex) - tx, np.array(ey) - ty])
    err2 = np.sum(d * d, axis=1)
    cv = np.array(ecov)
    P = np.stack([np.column_stack([cv[:, 0], cv[:, 2]]), np.column_stack([cv[:, 2], cv[:, 1]])], 1)
    m2 = np.einsum("ni,nij,nj->n", d, np.linalg.inv(P), d)
    ok = np.isfinite(crlb_tr)
    return {
        "n": G,
        "rms_error_m": float(np.sqrt(np.mean(err2[ok]))),
        "rms_crlb_m": float(np.sqrt(np.mean(crlb_tr[ok]))),
        "ratio_to_crlb": float(np.sqrt(np.mean(err2[ok]) / np.mean(crlb_tr[ok]))),
        "median_ratio": float(np.median(np.sqrt(err2[ok] / crlb_tr[ok]))),
        "ellipse95_coverage": float(np.mean(m2 <= 5.991)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="stress", choices=["quiet", "heavy", "stress"])
    ap.add_argument("--quick", action="store_true", help="3 hours instead of 24")
    ap.add_argument("--hours", type=float, default=None)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--stonesoup", default="/tmp/ss/bin/python", help="python of Stone Soup's venv")
    ap.add_argument("--no-stonesoup", action="store_true", help="skip the Stone Soup peer")
    ap.add_argument("--stonesoup-max-obs", type=int, default=3_000)
    ap.add_argument("--baseline-max-obs", type=int, default=40_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-line", action="store_true", help="fuse without the contact line")
    ap.add_argument(
        "--data", default="sim", choices=["sim", "stand-in"], help="simulator or stand-in scene"
    )
    args = ap.parse_args()
    hours = args.hours or (3.0 if args.quick else 24.0)
    t_gen = time.perf_counter()
    if args.data == "sim":
        obs, truth, _raw = load_sim(args.profile, hours=hours, seed=args.seed)
    else:
        obs, truth = generate(args.profile, hours=hours, seed=args.seed)
    print(f"data ({args.data}) generated in {time.perf_counter() - t_gen:.1f} s")
    n = len(obs)
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; python {platform.python_version()}")
    print(
        f"profile {args.profile}, {hours:g} h: {n} observations, "
        f"{int(truth.launch_t.shape[0])} rounds, {int((truth.round_of_obs < 0).sum())} clutter"
    )
    idx_of = {str(k): i for i, k in enumerate(obs.id)}
    _, src_code = np.unique(obs.source.astype(str), return_inverse=True)
    is_arr = (obs.kind == 1).astype(np.intp)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = None
    if args.data == "sim" and not args.no_line:
        c = load_mandate(MANDATE).contact
        line = tuple(zip(c.lons, c.lats, strict=True))
    cfg = FuseConfig(workers=args.workers, contact_line_lonlat=line)
    t0 = time.perf_counter()
    events = fuse(obs, cfg)
    dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rssc = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    groups = [
        np.array([idx_of[o] for o in e.observation_ids])
        for e in events
        if "single_observer" not in e.flags
    ]
    sc = score_groups(groups, truth, src_code, is_arr)
    loc = localization(events, obs, truth, idx_of)
    res = {
        "fuse": {
            "seconds": dt,
            "obs_per_s": n / dt,
            **sc,
            "localization": loc,
            "peak_rss_mb": rss1 / 1024,
            "rss_growth_mb": (rss1 - rss0) / 1024,
            "children_peak_rss_mb": rssc / 1024,
            "paired": sum("paired" in e.flags for e in events),
        }
    }
    print(
        f"fuse: {dt:.2f} s, {n / dt:,.0f} obs/s, peak RSS {rss1 / 1024:.0f} MB "
        f"(+{(rss1 - rss0) / 1024:.0f} MB in fuse; workers {rssc / 1024:.0f} MB)"
    )
    print(
        f"  F1 {sc['f1']:.3f} (P {sc['precision']:.3f} R {sc['recall']:.3f}), "
        f"double counts {sc['double_counts']} ({100 * sc['double_rate']:.2f} %), "
        f"false {sc['false']}, paired rounds {res['fuse']['paired']}"
    )
    print(f"  localization: {json.dumps(loc)}")
    bearing = np.flatnonzero(np.isfinite(obs.bearing_deg))
    grid = Grid(truth.frame)

    def masked(keep: np.ndarray):
        """The truth restricted to the rows ``keep`` (other rows count for nothing)."""
        inside = np.zeros(n, bool)
        inside[keep] = True
        return type(truth)(
            truth.launch_xy,
            truth.impact_xy,
            truth.launch_t,
            truth.impact_t,
            np.where(inside, truth.round_of_obs, -2),
            truth.phase_of_obs,
            truth.frame,
        )

    def fuse_on(sub: np.ndarray) -> tuple[float, dict]:
        """fuse on the rows ``sub`` only: seconds and scores against the masked truth."""
        part = obs.take(sub)
        t1 = time.perf_counter()
        ev = fuse(part, cfg)
        sec = time.perf_counter() - t1
        ids = {str(k): i for i, k in enumerate(part.id)}
        gr = [
            sub[np.array([ids[o] for o in e.observation_ids])]
            for e in ev
            if "single_observer" not in e.flags
        ]
        return sec, score_groups(gr, masked(sub), src_code, is_arr)

    if not args.no_baseline:
        sub = bearing
        note = ""
        if len(sub) > args.baseline_max_obs:
            tcut = np.sort(obs.time_s[sub])[args.baseline_max_obs]
            sub = sub[obs.time_s[sub] < tcut]
            note = f" (subset: the first {len(sub)} bearing reports)"
        rw = _rows(obs.take(sub), grid, FuseConfig())
        t0 = time.perf_counter()
        bl = baseline_fuse(
            rw.ox,
            rw.oy,
            rw.t,
            rw.sigma_t,
            src_code[sub],
            np.degrees(rw.az),
            obs.bearing_sigma_deg[sub],
        )
        bdt = time.perf_counter() - t0
        bsc = score_groups([sub[g] for g, _, _ in bl], masked(sub), src_code, is_arr)
        fdt, fsc = fuse_on(sub)
        res["baseline"] = {
            "seconds": bdt,
            "obs": len(sub),
            "obs_per_s": len(sub) / bdt,
            **bsc,
            "fuse_same_rows": {"seconds": fdt, **fsc},
        }
        print(
            f"baseline (straightforward){note}: {bdt:.2f} s, {len(sub) / bdt:,.0f} obs/s, "
            f"F1 {bsc['f1']:.3f} (P {bsc['precision']:.3f} R {bsc['recall']:.3f}), "
            f"double {100 * bsc['double_rate']:.1f} %"
        )
        print(
            f"  fuse on the same bearing rows: {fdt:.2f} s ({bdt / fdt:.1f}x faster), "
            f"F1 {fsc['f1']:.3f} (P {fsc['precision']:.3f} R {fsc['recall']:.3f}), "
            f"double {100 * fsc['double_rate']:.1f} %"
        )
    if not args.no_stonesoup and Path(args.stonesoup).exists():
        sub = bearing
        note = ""
        if len(sub) > args.stonesoup_max_obs:
            tcut = np.sort(obs.time_s[sub])[args.stonesoup_max_obs]
            sub = sub[obs.time_s[sub] < tcut]
            note = f" (subset: the first {len(sub)} bearing reports)"
        rw = _rows(obs.take(sub), grid, FuseConfig())
        tmp = Path("/tmp/bench_fuse_ss.npz")
        np.savez(tmp, x=rw.ox, y=rw.oy, t=rw.t, az=rw.az, saz=rw.sigma_az, src=src_code[sub])
        peer = Path(__file__).resolve().parent / "stonesoup_peer.py"
        best = None
        for gate in (4.0, 9.0, 16.0):
            t0 = time.perf_counter()
            out = subprocess.run(
                [args.stonesoup, str(peer), str(tmp), str(gate)],
                capture_output=True,
                text=True,
                check=False,
            )
            sdt = time.perf_counter() - t0
            if out.returncode != 0:
                print("Stone Soup failed:", out.stderr[-2000:])
                break
            lab = np.array(json.loads(out.stdout.strip().splitlines()[-1]))
            groups = [sub[lab == k] for k in np.unique(lab[lab >= 0])]
            groups = [g for g in groups if np.unique(src_code[g]).shape[0] >= 2]
            ssc = score_groups(groups, masked(sub), src_code, is_arr)
            print(
                f"Stone Soup (UKF + GNN, gate {gate:g}){note}: {sdt:.2f} s, "
                f"{len(sub) / sdt:,.0f} obs/s, F1 {ssc['f1']:.3f} "
                f"(P {ssc['precision']:.3f} R {ssc['recall']:.3f}), "
                f"double {100 * ssc['double_rate']:.1f} %"
            )
            if best is None or ssc["f1"] > best[1]["f1"]:
                best = (gate, ssc, sdt)
        if best is not None:
            fdt, fsc = fuse_on(sub)
            res["stonesoup"] = {
                "gate": best[0],
                "seconds": best[2],
                "obs": len(sub),
                **best[1],
                "fuse_same_rows": {"seconds": fdt, **fsc},
            }
            print(
                f"  best gate {best[0]:g}; fuse on the same bearing rows: {fdt:.2f} s "
                f"({best[2] / fdt:.0f}x faster), F1 {fsc['f1']:.3f} "
                f"(P {fsc['precision']:.3f} R {fsc['recall']:.3f})"
            )
    Path("/tmp/bench_fuse_last.json").write_text(json.dumps(res, indent=2, default=float))


if __name__ == "__main__":
    main()
