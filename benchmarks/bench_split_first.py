"""A first pass that stops association before its late steps (issue 23, session 15
diagnostic; nothing in src uses it): per batch tile, ``associate``'s rounds and ray
seeds (the prefix), the registration residuals read there, then the late steps
(last reassignment passes, final pairs, polish) finished from the kept state. Checks
that the finished association is the full one, times both halves, and compares the
registration pooled from the prefix's residuals with the full first pass's.

    .venv/bin/python benchmarks/bench_split_first.py stress 1/8
    .venv/bin/python benchmarks/bench_split_first.py draws 1000 1001 ...

The two halves are ``association.rounds.early_rounds`` and ``late_steps``, whose
composition is ``associate`` (the check ``resumed_same`` confirms it per tile)."""

import argparse
import json
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import bench_first_pass as bfp
import numpy as np

from ceasefire.fuse import tiles
from ceasefire.fuse.association.registration import residuals
from ceasefire.fuse.association.rounds import associate, early_rounds, late_steps
from ceasefire.fuse.tiles import bounds
from ceasefire.mandate import load_mandate
from ceasefire.pipeline import fuse_config
from ceasefire.simulate.family import get_family, simulate_draw


def q(d, p):
    return float(np.quantile(d, p)) if d.size else 0.0


def run(obs, mandate):
    obs = tiles.canonical(obs)
    cfg = tiles.batch_cut(
        replace(fuse_config(load_mandate(mandate)), register_over="run", workers=1)
    )
    rc = cfg.association.registration
    jobs = list(tiles._jobs(obs, cfg, None))
    full_parts, pre_parts, reps = [], [], []
    t_full = t_pre = t_suf = 0.0
    same = 0
    for part, tile, _ in jobs:
        rep, names = bfp._tile_reports(part, tile, cfg)
        reps.append((rep, names))
        lo, hi = bounds(tile.k, cfg)
        t = time.process_time()
        cl_f, _ = associate(rep, cfg.association)
        t_full += time.process_time() - t
        rf = residuals(rep, cl_f, rc)
        full_parts.append((names, rf.take((rf.event_t >= lo) & (rf.event_t < hi))))
        t = time.process_time()
        early = early_rounds(rep, cfg.association)
        t_pre += time.process_time() - t
        rp = residuals(rep, early.clusters, rc)
        pre_parts.append((names, rp.take((rp.event_t >= lo) & (rp.event_t < hi))))
        t = time.process_time()
        cl, _ = late_steps(rep, cfg.association, early)
        t_suf += time.process_time() - t
        same += bool(
            np.array_equal(cl.labels, cl_f.labels) and np.array_equal(cl.x, cl_f.x, equal_nan=True)
        )
    reg = tiles.pooled(full_parts, rc)
    rg = tiles.pooled(pre_parts, rc)
    alt, b = rg.of(reg.names), reg.reg
    inf = b.informed > 0
    d_off = np.abs(alt.offset_s - b.offset_s)[inf]
    d_st = np.abs(alt.scale_t - b.scale_t)[inf]
    d_saz = np.abs(alt.scale_az - b.scale_az)[inf]
    sm = sum(reg.of(n).matters(r, rc) == rg.of(n).matters(r, rc) for r, n in reps)
    smv = sum(
        bool(
            np.array_equal(bfp._moved(reg, r, n, cfg)["moved"], bfp._moved(rg, r, n, cfg)["moved"])
        )
        for r, n in reps
    )
    re_full = sum(reg.of(n).matters(r, rc) for r, n in reps)
    out = dict(
        tiles=len(jobs),
        reassoc=int(re_full),
        full=t_full,
        prefix=t_pre,
        suffix=t_suf,
        resumed_same=same,
        off_p95=q(d_off, 0.95),
        off_max=q(d_off, 1),
        st_max=q(d_st, 1),
        saz_max=q(d_saz, 1),
        same_matters=int(sm),
        same_moved=int(smv),
    )
    print(out, flush=True)
    return out


parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("what", choices=["stress", "draws"])
parser.add_argument("values", nargs="+", help="stress: a fraction of the day; draws: draw numbers")
args = parser.parse_args()
res = {}
if args.what == "stress":
    with tempfile.TemporaryDirectory() as d:
        obs = bfp._stress(Fraction(args.values[0]), Path(d))
    res["stress"] = run(obs, bfp.FRONTLINE)
else:
    m = load_mandate(bfp.MANDATE)
    for k in map(int, args.values):
        res[k] = run(simulate_draw(m, get_family("varied").draw(m, k)).observations, bfp.MANDATE)
Path(f"split_first_{args.what}.json").write_text(json.dumps(res, indent=1))
