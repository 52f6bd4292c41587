"""Live workers against ``ceasefire run`` with the DEFAULT mandate: F1 by violation id.

A live worker registers observers per 600 s x sector tile (it cannot pool over a
day it has not seen); the default batch pools the registration over the run and
fuses hour-long tiles over the whole line (``register_over: run``, ``run_tile_s``).
``fusion: {register_over: tile}`` in the mandate makes the batch the workers'
exactly. With ``--finality event`` the workers fuse in event finality's steps,
and the batch they are compared with fuses the same steps (``fusion: {finality:
event, step_s: S}``). This script measures how far the default batch is from
live, how far the batch in the workers' mode ("same") is, and lists the
differing violations by rule and cause.

Live here is the real worker (``stream.worker.Worker``) over an in-memory bus,
one worker for every sector (the NATS test shows two workers splitting the
sectors give the same ids, and that the bus path gives the same ids as this).

    .venv/bin/python benchmarks/live_vs_batch.py [--heavy-hours 3] [--draws 1000 1001]
        [--family varied] [--json FILE] [--finality event [--step-s 60]]
        [--profile stress --start-h 12]

Draws: the family's tuning draws (K >= 1000) unless told otherwise; nothing is
tuned on these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.mandate import load_mandate
from ceasefire.model import Violation
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.files import write_scenario
from ceasefire.simulate.scoring import score, system_from_features
from ceasefire.stream.bus import MemoryBus
from ceasefire.stream.compare import compare_violations, why_differs
from ceasefire.stream.replay import publish_observations, read_file
from ceasefire.stream.window import WindowConfig
from ceasefire.stream.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"


def live_violations(tmp: Path, obs_file: Path, wcfg: WindowConfig | None = None) -> list[Violation]:
    """What a live worker of every sector commits from ``obs_file`` (all of it)."""

    async def go() -> list[Violation]:
        store = pipeline.init_store(tmp / "live.db", MANDATE)
        m = pipeline.mandate_of(store)
        bus = MemoryBus()
        await publish_observations(bus, m, read_file(obs_file).accepted)
        w = Worker(bus, store, Ledger.open(tmp / "live-ledger"), m, None, wcfg or WindowConfig())
        while await w.poll(0):
            pass
        return store.violations(-1e18, 1e18)

    return asyncio.run(go())


def batch_violations(tmp: Path, obs_file: Path, mandate: Path, tag: str) -> list[Violation]:
    res = pipeline.run(mandate, [obs_file], tmp / tag, pdf=False)
    return [v for d in res.days for v in d.violations]


def truth_f1(truth: dict[str, Any], vs: list[Violation], obs_file: Path) -> float:
    """F1 against the simulator's truth (``ceasefire score``'s scorer)."""
    s = score(truth, system_from_features([violation_feature(v) for v in vs]), obs_file)
    return round(float(s["f1"]), 4)


def compare(
    name: str, obs_file: Path, truth: dict[str, Any], tmp: Path, wcfg: WindowConfig
) -> dict[str, Any]:
    as_live = tmp / "mandate-same.yaml"
    as_live.write_text(MANDATE.read_text() + same_mode(wcfg), encoding="utf-8")
    c0 = time.process_time()
    live = live_violations(tmp, obs_file, wcfg)
    live_cpu = time.process_time() - c0
    default = batch_violations(tmp, obs_file, MANDATE, "default")
    c1 = time.process_time()
    same = batch_violations(tmp, obs_file, as_live, "same")
    same_cpu = time.process_time() - c1
    c_def = compare_violations(live, default)
    c_same = compare_violations(live, same)
    row = {
        "scenario": name,
        "finality": wcfg.finality,
        "step_s": wcfg.step_s,
        "strict_flight": wcfg.strict_flight,
        "min_wait_s": wcfg.min_wait_s,
        "live_cpu_s": round(live_cpu, 1),
        "batch_same": same_mode(wcfg).split("\n", 2)[2].strip(),
        "batch_same_cpu_s": round(same_cpu, 1),
        "observations": len(read_file(obs_file).accepted),
        "live": len(live),
        "batch_default": len(default),
        "batch_same_violations": len(same),
        "f1_id_default": round(c_def.f1_id, 4),
        "f1_match_default": round(c_def.f1, 4),
        "matched_not_same_id": c_def.matched,
        "only_live": len(c_def.only_a),
        "only_batch": len(c_def.only_b),
        "only_live_by_rule": dict(Counter(v.rule for v in c_def.only_a)),
        "only_batch_by_rule": dict(Counter(v.rule for v in c_def.only_b)),
        "differ_by_kind": dict(
            Counter(v.kind for v in live if v.id not in {w.id for w in default})
        ),
        "f1_id_same": round(c_same.f1_id, 4),
        "f1_match_same": round(c_same.f1, 4),
        "only_live_same": len(c_same.only_a),
        "only_batch_same": len(c_same.only_b),
        "why_only_live_same": why_differs(c_same.only_a, same),
        "why_only_batch_same": why_differs(c_same.only_b, live),
        "why_only_live_default": why_differs(c_def.only_a, default),
        "why_only_batch_default": why_differs(c_def.only_b, live),
        "truth_f1_live": truth_f1(truth, live, obs_file),
        "truth_f1_default": truth_f1(truth, default, obs_file),
        "truth_f1_same": truth_f1(truth, same, obs_file),
    }
    print(json.dumps(row), flush=True)
    return row


def same_mode(wcfg: WindowConfig) -> str:
    """The mandate's ``fusion`` block that makes the batch fuse as the workers do."""
    if wcfg.finality == "event":
        return f"\nfusion:\n  finality: event\n  step_s: {wcfg.step_s:g}\n"
    return "\nfusion:\n  register_over: tile\n"


def heavy_file(
    tmp: Path, hours: float, profile: str = "heavy", start_h: float = 0.0, seed: int = 2015
) -> tuple[Path, dict[str, Any]]:
    m = load_mandate(MANDATE)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp() + start_h * 3600.0
    sc = simulate(m, get_profile(profile), t0, hours, seed)
    return write_scenario(tmp, sc.observations, sc.truth)["observations"], sc.truth


def draw_file(tmp: Path, family: str, k: int) -> tuple[Path, dict[str, Any]]:
    m = load_mandate(MANDATE)
    sc = simulate_draw(m, get_family(family).draw(m, k))
    return write_scenario(tmp, sc.observations, sc.truth)["observations"], sc.truth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--heavy-hours", type=float, default=3.0, help="0: skip the heavy slice")
    ap.add_argument("--profile", default="heavy", help="the slice's profile (stress: seed 1)")
    ap.add_argument("--start-h", type=float, default=0.0, help="the slice's start, local hour")
    ap.add_argument("--family", default="varied")
    ap.add_argument("--draws", type=int, nargs="*", default=[1000, 1001])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--finality", choices=["tile", "event"], default="tile")
    ap.add_argument("--step-s", type=float, default=60.0, help="event finality's step, s")
    ap.add_argument("--strict-flight", action="store_true", help="event finality: 562.5 s")
    ap.add_argument("--min-wait-s", type=float, default=0.0, help="event finality's least wait")
    a = ap.parse_args()
    wcfg = WindowConfig(
        finality=a.finality,
        step_s=a.step_s,
        strict_flight=a.strict_flight,
        min_wait_s=a.min_wait_s,
    )
    rows = []
    jobs: list[tuple[str, Any]] = []
    seed = 1 if a.profile == "stress" else 2015
    if a.heavy_hours > 0:
        name = f"{a.profile} {a.heavy_hours:g} h from {a.start_h:g}:00 (seed {seed})"
        jobs.append((name, ("heavy", a.heavy_hours)))
    jobs += [(f"{a.family} draw {k}", ("draw", k)) for k in a.draws]
    for name, (kind, arg) in jobs:
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            f, truth = (
                heavy_file(tmp, arg, a.profile, a.start_h, seed)
                if kind == "heavy"
                else draw_file(tmp, a.family, arg)
            )
            rows.append(compare(name, f, truth, tmp, wcfg))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
