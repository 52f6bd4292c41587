"""Observer registration over one tile or over the whole run: F1 and fusion CPU
on the scenario family, against one window; or (``--clocks``) the registered
clock offsets against the true ones.

    .venv/bin/python benchmarks/bench_registration.py [--set test|tuning]
        [--draws K ...] [--procs 2] [--json out.json]
    .venv/bin/python benchmarks/bench_registration.py --clocks [--set tuning]
        [--reg-set key=value ...] [--cache DIR] [--scales]

Per draw of the `varied` family (Donbas mandate; ``bench_family``'s draw sets:
test 0-39, tuning 1000-1039), fusion is run three ways and scored with
``ceasefire score``'s scorer: one window (``tile_s`` None, the anchor); the live
workers' 600 s x sector tiles each registering observers from its own window
(``register_over`` tile, what a worker does); and the batch's default (run:
registration pooled over the whole input, hour-long tiles over the line).
Printed: per draw F1 and fusion CPU-s, then per mode the median and mean F1, the
mean change against one window, the worst draw's change, and the total fusion
CPU with its ratio to one window's.

With ``--clocks`` each draw's first pass (the shipped batch's tiles, observers
as stated) is run once (kept in ``--cache`` as the residuals it pools, read as
``--first-set`` says: one cache per reading) and its pooled registration is
estimated as shipped and as each ``--reg-set`` variant changes it (``--scales``:
also its noise scales against each observer's true σ factor).
Each observer's registered offset is compared with its true clock error
(``Scenario.faults``: offset + drift, at the mean time of its reports): per
sensor kind, the observers, how many the registration informed, and the median,
90th percentile and report-weighted RMS of |registered - true| (``none``:
of |true|, no registration). (Session 10 also measured a worker pooling
its sector's tiles of the day so far: on the test draws median F1 0.796, mean
change -0.016 against per-tile's -0.017, at 1.4x its CPU: not kept.)
"""

from __future__ import annotations

import argparse
import ast
import json
import multiprocessing as mp
import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from bench_family import MANDATE, TEST_DRAWS, TUNING_DRAWS

from ceasefire.assess import assess
from ceasefire.fuse import FuseConfig, fuse, tiles
from ceasefire.fuse.association import RegistrationConfig
from ceasefire.fuse.tiles import canonical
from ceasefire.mandate import load_mandate
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.files import write_scenario
from ceasefire.simulate.observers import SENSORS
from ceasefire.simulate.scoring import score, system_from_features

MODES = ("window", "tile", "run")


def _cfg(base: FuseConfig, mode: str) -> FuseConfig:
    if mode == "window":
        return replace(base, tile_s=None)
    return replace(base, register_over=mode)


_WARM: list[bool] = []


def run_draw(k: int) -> dict[str, Any]:
    """Draw ``k`` fused each way: F1 and fusion CPU-s per mode."""
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    base = replace(fuse_config(m), workers=1)
    if not _WARM:  # compile numba's functions before anything is timed in this process
        fuse(sc.observations, _cfg(base, "window"))
        _WARM.append(True)
    out: dict[str, Any] = {"draw": k, "observations": len(sc.observations)}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_scenario(Path(tmp), sc.observations, sc.truth)["observations"]
        for mode in MODES:
            c = time.process_time()
            ev = [e for e in fuse(sc.observations, _cfg(base, mode)) if t0 <= e.time_s < t1]
            cpu = time.process_time() - c
            feats = [violation_feature(v) for v in assess(ev, m)]
            s = score(sc.truth, system_from_features(feats), path)
            out[mode] = {"f1": s["f1"], "cpu_s": cpu, "double_counts": s["double_counts"]}
    return out


def report(rows: list[dict[str, Any]]) -> None:
    print(f"{'draw':>6} {'obs':>6} " + " ".join(f"{m:>16}" for m in MODES))
    for r in rows:
        cells = [f"{r[m]['f1']:.3f} ({r[m]['cpu_s']:5.1f}s)" for m in MODES]
        print(f"{r['draw']:>6} {r['observations']:>6} " + " ".join(f"{c:>16}" for c in cells))
    cpu0 = sum(r["window"]["cpu_s"] for r in rows)
    print(f"\n{'mode':>8} {'median F1':>10} {'mean F1':>8} {'mean dF1':>9} {'worst dF1':>10} "
          f"{'CPU s':>7} {'x window':>9}")  # fmt: skip
    for m in MODES:
        f1 = [r[m]["f1"] for r in rows]
        dd = [r[m]["f1"] - r["window"]["f1"] for r in rows]
        cpu = sum(r[m]["cpu_s"] for r in rows)
        print(
            f"{m:>8} {statistics.median(f1):>10.3f} {statistics.mean(f1):>8.3f} "
            f"{statistics.mean(dd):>+9.4f} {min(dd):>+10.3f} {cpu:>7.1f} {cpu / cpu0:>9.2f}"
        )


#: the widest ``clock_gate_s`` a --clocks variant may take (its first pass reads them)
CLOCK_GATE_S = 8.0


def _first_parts(
    k: int, cache: Path | None, first: tuple[tuple[str, Any], ...] = ()
) -> dict[str, Any]:
    """Draw ``k``'s first-pass residuals by tile and each observer's truth: name,
    sensor, true clock error at the mean time of its reports (s), report count."""
    f = cache / f"clocks-{k}.pkl" if cache is not None else None
    if f is not None and f.exists():
        got: dict[str, Any] = pickle.loads(f.read_bytes())
        return got
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    cfg = replace(fuse_config(m), workers=1)
    # the free bearings' residuals too (a variant without ``clock_gate_s`` drops them)
    a = cfg.association
    reg = replace(a.registration, clock_gate_s=CLOCK_GATE_S, **dict(first))
    cfg = replace(cfg, association=replace(a, registration=reg))
    parts, _ = tiles.first_pass(canonical(sc.observations), cfg)
    obs = sc.observations
    names, inv = np.unique(obs.source.astype(str), return_inverse=True)
    t_mean = np.bincount(inv, weights=obs.time_s) / np.bincount(inv)
    n_rep = np.bincount(inv)
    o = sc.observers
    row = {str(n): i for i, n in reversed(list(enumerate(o.source.astype(str))))}
    oi = np.array([row.get(str(n), -1) for n in names])
    true = np.zeros(names.shape[0])
    mult = np.ones(names.shape[0])
    sensor = np.array(["?"] * names.shape[0], dtype=object)
    known = oi >= 0
    if sc.faults is not None:
        true[known] = sc.faults.clock_error_s(oi[known], t_mean[known])
        mult[known] = sc.faults.sigma_mult[oi[known]]
    sensor[known] = [SENSORS[int(j)].name for j in o.sensor[oi[known]]]
    out = {"draw": k, "parts": parts, "names": names, "true_s": true, "mult": mult,
           "sensor": sensor.astype(str), "n_reports": n_rep}  # fmt: skip
    if f is not None:
        f.write_bytes(pickle.dumps(out))
    return out


def clock_errors(
    k: int,
    cache: Path | None,
    variants: dict[str, RegistrationConfig],
    first: tuple[tuple[str, Any], ...] = (),
) -> dict[str, Any]:
    """Per observer of draw ``k``: sensor, reports, true clock error and the offset
    (and whether informed) each registration variant gives it; ``first``: the
    registration fields the first pass reads its residuals with."""
    p = _first_parts(k, cache, first)
    out: dict[str, Any] = {
        "draw": k,
        "names": [str(n) for n in p["names"]],
        "sensor": [str(s) for s in p["sensor"]],
        "true_s": [float(t) for t in p["true_s"]],
        "mult": [float(t) for t in p.get("mult", np.ones(len(p["names"])))],
        "n_reports": [int(n) for n in p["n_reports"]],
    }
    for v, rc in variants.items():
        reg = tiles.pooled(p["parts"], rc).of(p["names"])
        out[v] = {
            "offset_s": reg.offset_s.tolist(), "informed": reg.informed.tolist(),
            "scale_t": reg.scale_t.tolist(), "scale_az": reg.scale_az.tolist(),
        }  # fmt: skip
    return out


def clock_report(rows: list[dict[str, Any]], variants: list[str]) -> None:
    """|registered - true| offsets per sensor kind, pooled over the draws."""
    sensor = np.concatenate([np.asarray(r["sensor"], str) for r in rows])
    true = np.concatenate([np.asarray(r["true_s"]) for r in rows])
    nrep = np.concatenate([np.asarray(r["n_reports"], float) for r in rows])
    kinds = [s.name for s in SENSORS if (sensor == s.name).any()]
    print(f"{'sensor':>8} {'variant':>10} {'observers':>9} {'informed':>9} "
          f"{'median |err|':>12} {'p90 |err|':>10} {'RMS (reports)':>14}")  # fmt: skip
    for kind in [*kinds, "all"]:
        m = sensor == kind if kind != "all" else np.ones(sensor.shape[0], bool)
        for v in ["none", *variants]:
            if v == "none":
                err, inf = np.abs(true[m]), np.zeros(int(m.sum()))
            else:
                off = np.concatenate([np.asarray(r[v]["offset_s"]) for r in rows])
                inf = np.concatenate([np.asarray(r[v]["informed"]) for r in rows])[m]
                err = np.abs(off[m] - true[m])
            rms = float(np.sqrt(np.sum(nrep[m] * err**2) / max(np.sum(nrep[m]), 1.0)))
            med, p90 = np.median(err), np.percentile(err, 90)
            print(f"{kind:>8} {v:>10} {int(m.sum()):>9} {int((inf > 0).sum()):>9} "
                  f"{med:>12.3f} {p90:>10.3f} {rms:>14.3f}")  # fmt: skip


def scale_report(rows: list[dict[str, Any]], variants: list[str]) -> None:
    """Registered noise scales against the true σ factor (``Scenario.faults``: the
    same on an observer's bearing and time σ), pooled over the draws, per sensor
    kind and for the observers whose true factor is >= 1.3 (understated): the
    median of sqrt(scale_t x scale_az) over reports, against the truth floored at 1
    (a stated σ is never lowered), and the report-weighted RMS and mean of the log
    error."""
    sensor = np.concatenate([np.asarray(r["sensor"], str) for r in rows])
    true = np.maximum(np.concatenate([np.asarray(r["mult"]) for r in rows]), 1.0)
    nrep = np.concatenate([np.asarray(r["n_reports"], float) for r in rows])
    kinds = [s.name for s in SENSORS if (sensor == s.name).any()]
    print(f"{'observers':>10} {'variant':>10} {'n':>5} {'true (median)':>13} "
          f"{'registered':>10} {'RMS log err':>11} {'mean log err':>12}")  # fmt: skip
    for kind in [*kinds, "x>=1.3", "all"]:
        if kind == "all":
            m = np.ones(sensor.shape[0], bool)
        elif kind == "x>=1.3":
            m = true >= 1.3
        else:
            m = sensor == kind
        w = nrep[m]
        if not m.any() or w.sum() == 0:
            continue
        med_true = float(np.median(np.repeat(true[m], w.astype(int))))
        for v in variants:
            st = np.concatenate([np.asarray(r[v]["scale_t"]) for r in rows])[m]
            sa = np.concatenate([np.asarray(r[v]["scale_az"]) for r in rows])[m]
            s = np.sqrt(st * sa)
            e = np.log(s) - np.log(true[m])
            print(f"{kind:>10} {v:>10} {int(m.sum()):>5} {med_true:>13.2f} "
                  f"{float(np.median(np.repeat(s, w.astype(int)))):>10.2f} "
                  f"{float(np.sqrt(np.average(e**2, weights=w))):>11.3f} "
                  f"{float(np.average(e, weights=w)):>+12.3f}")  # fmt: skip


def _reg_set(text: str) -> tuple[str, str, Any]:
    """``variant:field=value`` (``variant`` optional: ``new``)."""
    name, _, kv = text.rpartition(":")
    key, _, val = kv.partition("=")
    return name or "new", key, ast.literal_eval(val)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("test", "tuning"), default="test")
    ap.add_argument("--draws", type=int, nargs="+")
    ap.add_argument("--procs", type=int, default=2, choices=(1, 2))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--clocks", action="store_true", help="registered vs true clock offsets")
    ap.add_argument(
        "--scales", action="store_true", help="with --clocks: registered vs true noise scales"
    )  # fmt: skip
    ap.add_argument(
        "--reg-set", action="append", default=[], type=_reg_set,
        help="[variant:]field=value of RegistrationConfig for --clocks (repeatable)",
    )  # fmt: skip
    ap.add_argument("--cache", type=Path, help="--clocks: keep each draw's first pass here")
    ap.add_argument(
        "--first-set", action="append", default=[], type=_reg_set,
        help="--clocks: field=value of the first pass's RegistrationConfig (residuals read)",
    )  # fmt: skip
    a = ap.parse_args()
    draws = a.draws or list(TEST_DRAWS if a.set == "test" else TUNING_DRAWS)
    if a.clocks:
        # the residuals are read as --first-set says (each cache holds one reading):
        # the first variant is the shipped estimator on them ("as read" when changed)
        first = tuple((key, val) for _, key, val in a.first_set)
        shipped = replace(
            fuse_config(load_mandate(MANDATE)).association.registration, **dict(first)
        )
        variants: dict[str, RegistrationConfig] = {"as read" if first else "shipped": shipped}
        for name, key, val in a.reg_set:
            variants[name] = replace(variants.get(name, shipped), **{key: val})
        if a.cache is not None:
            a.cache.mkdir(parents=True, exist_ok=True)
        crow = [clock_errors(k, a.cache, variants, first) for k in draws]
        clock_report(crow, list(variants))
        if a.scales:
            print()
            scale_report(crow, list(variants))
        if a.json:
            a.json.write_text(json.dumps(crow, indent=1))
        return 0
    if a.procs > 1:
        with mp.get_context("spawn").Pool(a.procs) as pool:
            rows = pool.map(run_draw, draws, chunksize=1)
    else:
        rows = [run_draw(k) for k in draws]
    report(rows)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
