"""What the day's first pass buys (issue 23, session 15): per batch tile, whether
the pooled registration matters (the second pass then associates again) or the
first association is reused, the observers the registration moves and their
share of the tile's reports, and the CPU of each pass; then first passes made
for the residuals only (association's late steps off, or every other tile)
against the full one by the pooled registration they give.

    .venv/bin/python benchmarks/bench_first_pass.py --stress 1/8 [--mandate M]
    .venv/bin/python benchmarks/bench_first_pass.py --draws 1000 1001 [--time-reused]
    .venv/bin/python benchmarks/bench_first_pass.py --stress 1 --digests [--tiles 2 23]

``--stress F``: the first F of the stress day (seed 11, ``bench_perf``'s, made
once under TMPDIR/ceasefire-bench), frontline-2025; ``--draws``: draws of the
``varied`` family (Donbas). Fusion as the batch does it (``register_over`` run,
hour-long tiles over the whole line), serially in this process (CPU-s by
``time.process_time``, one run each: a diagnostic, not an A/B). The second pass
is timed only for re-associating tiles unless ``--time-reused``. ``--digests``:
per tile only the first pass's CPU-s and a digest of what it gives (the
residuals and names, the association's labels, estimates, covariances and the
fit's chi-square and dof): two trees' first passes compared tile by tile.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from bench_family import MANDATE
from bench_perf import _stress_day

from ceasefire.fuse import FuseConfig, tiles
from ceasefire.fuse.association.registration import ObserverRegistration
from ceasefire.fuse.association.reports import Reports
from ceasefire.fuse.engine import _associate, _reports, _rows
from ceasefire.fuse.frame import Grid
from ceasefire.ingest.validate import ingest_files
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import KINDS
from ceasefire.pipeline import fuse_config
from ceasefire.simulate.family import get_family, simulate_draw

ROOT = Path(__file__).resolve().parents[1]
FRONTLINE = ROOT / "examples" / "frontline-2025" / "mandate.yaml"
K_SIGHTING = KINDS.index("sighting")


def _cpu(f: Callable[..., Any], *a: Any) -> tuple[Any, float]:
    t = time.process_time()
    out = f(*a)
    return out, time.process_time() - t


def _stress(fraction: Fraction, tmp: Path) -> ObservationArrays:
    lines = (
        _stress_day(11, Path(tempfile.gettempdir()) / "ceasefire-bench")
        .read_bytes()
        .splitlines(True)
    )
    path = tmp / "slice.ndjson"
    path.write_bytes(b"".join(lines[: round(len(lines) * fraction)]))
    return ObservationArrays.from_observations(ingest_files([path]).accepted)


def _first_pass(
    jobs: list[tiles.Job], cfg: FuseConfig, which: set[int] | None = None
) -> tuple[list[tiles.Part], tiles.Firsts, list[float]]:
    parts: list[tiles.Part] = []
    firsts: tiles.Firsts = {}
    cpu: list[float] = []
    for i, (part, tile, _) in enumerate(jobs):
        if which is not None and i not in which:
            continue
        (p, f), t = _cpu(tiles.tile_first, part, tile, cfg, None)
        parts.append(p)
        cpu.append(t)
        if f is not None:
            firsts[tile] = f
    return parts, firsts, cpu


def _tile_reports(
    part: ObservationArrays, tile: tiles.Tile, cfg: FuseConfig
) -> tuple[Reports, Any]:
    """The tile's acoustic reports as ``fuse_whole`` builds them, with names."""
    _, rows = tiles._tile_rows(part, tile, cfg)
    o = part.take(rows)
    ac = o.take(np.flatnonzero(o.kind != K_SIGHTING))
    return _reports(ac, _rows(ac, Grid.about(ac.lat, ac.lon), cfg), cfg)


def _moved(reg: ObserverRegistration, rep: Reports, names: Any, cfg: FuseConfig) -> dict[str, Any]:
    """Per tile: observers moved by offset / by scale (``Registration.matters``'
    tests), their share of the reports, and the largest offset over its threshold."""
    rc = cfg.association.registration
    r = reg.of(names)
    n = r.offset_s.shape[0]
    sd_t = np.full(n, np.inf)
    np.minimum.at(sd_t, rep.src, rep.rows.sigma_t * r.scale_t[rep.src])
    here = np.bincount(rep.src, minlength=n) > 0
    off = here & (np.abs(r.offset_s) > rc.offset_sd * sd_t)
    sc = here & ((r.scale_az > rc.scale_change) | (r.scale_t > rc.scale_change))
    mv = off | sc
    return {
        "observers": int(here.sum()),
        "moved_offset": int(off.sum()),
        "moved_scale": int(sc.sum()),
        "moved_report_share": float(mv[rep.src].mean()) if rep.n else 0.0,
        "max_offset_over_threshold": float(
            np.max(np.abs(r.offset_s[here]) / (rc.offset_sd * sd_t[here]))
        ),
        "max_scale": float(np.max(np.maximum(r.scale_az[here], r.scale_t[here]))),
        "moved": mv,
    }


def _digest(part: tiles.Part, first: Any) -> str:
    """sha256 (16 hex digits) of a tile's first pass: the names, every residual
    array, and the association's labels, x, y, T, cov, refits, chi2 and dof."""
    h = hashlib.sha256()
    names, res = part
    arrays = [names, *(getattr(res, f) for f in res.__dataclass_fields__)]
    if first is not None:
        c = first.clusters
        arrays += [c.labels, c.x, c.y, c.T, c.cov, np.array([c.refits])]
        arrays += [a for a in (first.chi2, first.dof) if a is not None]
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def digests(obs: ObservationArrays, mandate: Path, which: list[int]) -> list[dict[str, Any]]:
    """Per tile (``which``: their indices, all when empty): the first pass's CPU-s
    and :func:`_digest`, after one tile run untimed (numba's loops loaded)."""
    obs = tiles.canonical(obs)
    cfg = tiles.batch_cut(
        replace(fuse_config(load_mandate(mandate)), register_over="run", workers=1)
    )
    jobs = list(tiles._jobs(obs, cfg, None))
    if jobs:
        tiles.tile_first(jobs[0][0], jobs[0][1], cfg, None)
    out = []
    for i, (part, tile, _) in enumerate(jobs):
        if which and i not in which:
            continue
        (p, f), t = _cpu(tiles.tile_first, part, tile, cfg, None)
        out.append({"tile": i, "k": tile.k, "pass1_cpu_s": t, "digest": _digest(p, f)})
        print(out[-1], flush=True)
    print({"pass1_cpu_s": sum(r["pass1_cpu_s"] for r in out)}, flush=True)
    return out


def run(obs: ObservationArrays, mandate: Path, time_reused: bool) -> dict[str, Any]:
    obs = tiles.canonical(obs)
    cfg = tiles.batch_cut(
        replace(fuse_config(load_mandate(mandate)), register_over="run", workers=1)
    )
    rc = cfg.association.registration
    jobs = list(tiles._jobs(obs, cfg, None))
    parts, firsts, t1 = _first_pass(jobs, cfg)
    reg = tiles.pooled(parts, rc)
    rows, reps = [], []
    for (part, tile, _), t_first in zip(jobs, t1, strict=True):
        rep, names = _tile_reports(part, tile, cfg)
        reps.append((rep, names))
        matters = reg.of(names).matters(rep, rc)
        first = firsts.get(tile)
        reuse = not matters and first is not None and first.n_rows == rep.n
        t2 = t_assoc = float("nan")
        if matters or time_reused:
            t2 = _cpu(tiles.fuse_tile, part, tile, cfg, reg, first)[1]
        if matters:
            t_assoc = _cpu(_associate, reg.of(names).apply(rep, rc.seen_time_sigma_min_s), cfg)[1]
        m = _moved(reg, rep, names, cfg)
        m.pop("moved")
        rows.append({"k": tile.k, "reports": rep.n, "reuse": reuse, "pass1_cpu_s": t_first,
                     "pass2_cpu_s": t2, "pass2_assoc_cpu_s": t_assoc, **m})  # fmt: skip
        print(rows[-1], flush=True)
    A = cfg.association
    late_off = replace(A, final_pairs=0, reassign=replace(A.reassign, passes=0))
    variants = {
        "no late steps": (replace(cfg, association=late_off), None),
        "rounds 1, no late steps": (replace(cfg, association=replace(late_off, rounds=1)), None),
        "every other tile": (cfg, set(range(0, len(jobs), 2))),
    }
    out: dict[str, Any] = {"tiles": rows, "pass1_cpu_s": sum(t1), "variants": []}
    for name, (c, which) in variants.items():
        ps, _, ts = _first_pass(jobs, c, which)
        rg = tiles.pooled(ps, rc)
        alt, b = rg.of(reg.names), reg.reg
        inf = b.informed > 0

        def q(d: Any, p: float, inf: Any = inf) -> float:
            return float(np.quantile(d[inf], p)) if inf.any() else 0.0

        d_off = np.abs(alt.offset_s - b.offset_s)
        d_st, d_saz = np.abs(alt.scale_t - b.scale_t), np.abs(alt.scale_az - b.scale_az)
        same_matters = sum(reg.of(n).matters(r, rc) == rg.of(n).matters(r, rc) for r, n in reps)
        same_moved = sum(
            bool(np.array_equal(_moved(reg, r, n, cfg)["moved"], _moved(rg, r, n, cfg)["moved"]))
            for r, n in reps
        )
        v = {
            "variant": name,
            "pass1_cpu_s": sum(ts),
            "offset_p95_s": q(d_off, 0.95),
            "offset_max_s": q(d_off, 1.0),
            "scale_t_p95": q(d_st, 0.95),
            "scale_t_max": q(d_st, 1.0),
            "scale_az_p95": q(d_saz, 0.95),
            "scale_az_max": q(d_saz, 1.0),
            "same_matters": f"{same_matters}/{len(reps)}",
            "same_moved": f"{same_moved}/{len(reps)}",
        }
        out["variants"].append(v)
        print(v, flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stress", type=Fraction, help="fraction of the stress day, e.g. 1/8")
    ap.add_argument("--draws", type=int, nargs="*", default=[])
    ap.add_argument("--time-reused", action="store_true")
    ap.add_argument("--digests", action="store_true", help="per tile: CPU-s and a digest only")
    ap.add_argument("--tiles", type=int, nargs="*", default=[], help="with --digests")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    res: dict[str, Any] = {}
    if a.stress is not None:
        with tempfile.TemporaryDirectory() as d:
            obs = _stress(a.stress, Path(d))
        if a.digests:
            res["stress"] = digests(obs, FRONTLINE, a.tiles)
        else:
            res["stress"] = run(obs, FRONTLINE, a.time_reused)
    m = load_mandate(MANDATE)
    for k in a.draws:
        sc = simulate_draw(m, get_family("varied").draw(m, k))
        res[f"draw {k}"] = run(sc.observations, MANDATE, a.time_reused)
    if a.json:
        a.json.write_text(json.dumps(res, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
