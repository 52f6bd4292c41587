"""Fusion tiles (fuse/tiles.py) against one window: F1 against the simulator's
truth and fusion CPU seconds, per tile size, on the heavy demo day or a family draw.

    .venv/bin/python benchmarks/bench_tiles.py heavy whole,600,1800,600ns
    .venv/bin/python benchmarks/bench_tiles.py 905 whole,600      # --family varied --draw 905

Variants: ``whole`` (``tile_s=None``: one window, as before session 9), ``S`` (tiles of
S seconds with the mandate's sectors, each registering its observers: the live
workers' cut), ``Sns`` (the same without sectors), ``run`` (the batch's default since
session 10: observers registered over the input, hour-long tiles over the line).
Draws: report on 900-915 only (0-39 are the family's test draws, 1000-1039 its
tuning draws). One JSON line per variant; ``cpu_s`` is the
fusion's process time (``workers=1``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ceasefire.assess import assess
from ceasefire.fuse import FuseConfig, fuse
from ceasefire.mandate import load_mandate
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import get_profile, simulate, write_scenario
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.scoring import score, system_from_features

MANDATE = Path(__file__).resolve().parents[1] / "examples" / "donbas-2015" / "mandate.yaml"


def variant(base: FuseConfig, v: str) -> FuseConfig:
    if v == "whole":
        return replace(base, tile_s=None)
    if v == "run":
        return base
    tiled = replace(base, register_over="tile")
    if v.endswith("ns"):
        return replace(tiled, tile_s=float(v[:-2]), sectors_km=())
    return replace(tiled, tile_s=float(v))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )  # fmt: skip
    ap.add_argument("which", help="heavy (the demo day) or a varied-family draw number")
    ap.add_argument("variants", help="comma-separated: whole, S, Sns, run")
    a = ap.parse_args()
    which, variants = a.which, a.variants.split(",")
    m = load_mandate(MANDATE)
    if which == "heavy":
        t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
        t1 = t0 + 86_400.0
        sc = simulate(m, get_profile("heavy"), t0, 24.0, 2015)
    else:
        d = get_family("varied").draw(m, int(which))
        sc = simulate_draw(m, d)
        t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    paths = write_scenario(Path(tempfile.mkdtemp(prefix="bench-tiles-")), sc.observations, sc.truth)
    base = replace(fuse_config(m), workers=1)
    for v in variants:
        c = time.process_time()
        events = [e for e in fuse(sc.observations, variant(base, v)) if t0 <= e.time_s < t1]
        cpu = time.process_time() - c
        vs = assess(events, m)
        s = score(
            sc.truth,
            system_from_features([violation_feature(x) for x in vs]),
            paths["observations"],
        )
        a = s["attribution"]
        row = {
            "day": which,
            "variant": v,
            "n_obs": len(sc.observations),
            "f1": round(s["f1"], 4),
            "attribution_right": a["accuracy"],
            "named": a["given_party"],
            "events": len(events),
            "violations": len(vs),
            "cpu_s": round(cpu, 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
