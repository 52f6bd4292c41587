"""The escalation ladder on simulated days (issue 25): the ``offensive`` scenario's
expected engagements met in time and the false ones, and the armed lines engaged
on heavy days of both example mandates.

    .venv/bin/python benchmarks/ladder_offensive.py [--offensive 7,8,9] \
        [--heavy 5,6,7] [--json]

Each day is simulated (24 h from 2025-06-01 00:00 local), fused and judged
under the mandate, and its escalations scored by
``ceasefire.simulate.ladder_score``. The thresholds of the example ladders were
set on offensive seeds 1-6 and heavy seeds 1-4 (frontline) and 1-2 (Donbas);
the default seeds here were not looked at before (evaluation).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ceasefire.assess import assess, escalate
from ceasefire.fuse import fuse
from ceasefire.mandate import Mandate, load_mandate
from ceasefire.model.codec import to_dict
from ceasefire.pipeline import fuse_config
from ceasefire.simulate import simulate
from ceasefire.simulate.ladder_score import score_ladder
from ceasefire.simulate.offensive import scenario

ROOT = Path(__file__).resolve().parents[1]
MANDATES = {
    "frontline-2025": ROOT / "examples" / "frontline-2025" / "mandate.yaml",
    "donbas-2015": ROOT / "examples" / "donbas-2015" / "mandate.yaml",
}


def day(m: Mandate, profile: str, seed: int) -> dict[str, Any]:
    """Simulate, fuse, judge and escalate one day; score its ladder."""
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    c0 = time.process_time()
    prof, addition = scenario(profile, seed)
    sc = simulate(m, prof, t0, 24.0, seed, addition=addition)
    events = fuse(sc.observations, fuse_config(m))
    violations = assess(events, m)
    esc = [to_dict(x) for x in escalate(violations, m, events=events)]
    s = score_ladder(sc.truth, esc, m)
    armed = {d.line for d in m.doc.response.escalation if d.armed}
    s["armed_raised"] = sum(1 for x in esc if x["state"] == "raised" and x["line"] in armed)
    s["violations"] = len(violations)
    s["cpu_s"] = time.process_time() - c0
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offensive", default="7,8,9", help="seeds of the offensive (frontline)")
    ap.add_argument("--heavy", default="5,6,7", help="seeds of the heavy days (both mandates)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    seeds_o = [int(x) for x in a.offensive.split(",") if x]
    seeds_h = [int(x) for x in a.heavy.split(",") if x]
    out: dict[str, Any] = {"offensive": {}, "heavy": {}}
    front = load_mandate(MANDATES["frontline-2025"])
    for seed in seeds_o:
        s = day(front, "offensive", seed)
        out["offensive"][seed] = s
        if not a.json:
            print(f"offensive seed {seed}: {s['violations']:,} violations, {s['cpu_s']:.0f} s CPU")
            for r in s["engagements"]:
                delay = "never" if r["delay_h"] is None else f"{r['delay_h']:5.2f} h"
                print(
                    f"  line {r['line']} against {r['party']} {r['sector'] or '':13s} "
                    f"({r['phase']:6s}): {delay} (allowed {r['allowed_h']:g} h) "
                    f"{'in time' if r['in_time'] else 'NOT IN TIME'}"
                )
            print(
                f"  false engagements {s['false_engagements']} (own side "
                f"{s['false_against_own_side']}, undetermined {s['false_against_undetermined']})"
            )
    for name, path in MANDATES.items():
        m = load_mandate(path)
        for seed in seeds_h:
            s = day(m, "heavy", seed)
            out["heavy"][f"{name}:{seed}"] = s
            if not a.json:
                print(
                    f"heavy {name} seed {seed}: {s['violations']:,} violations, "
                    f"armed lines engaged {s['armed_raised']}, all raised {s['raised']}"
                )
    if a.json:
        print(json.dumps(out, indent=2, sort_keys=True, default=str))
        return
    rows = [r for s in out["offensive"].values() for r in s["engagements"]]
    met = [r for r in rows if r["in_time"]]
    print(
        f"\noffensive: {len(met)} of {len(rows)} expected engagements in time; false "
        f"{sum(s['false_engagements'] for s in out['offensive'].values())}; heavy days: armed "
        f"lines engaged {sum(s['armed_raised'] for s in out['heavy'].values())}"
    )
    for line in sorted({r["line"] for r in rows}):
        d = sorted(r["delay_h"] for r in rows if r["line"] == line and r["delay_h"] is not None)
        if d:
            print(f"  line {line}: delay median {d[len(d) // 2]:.2f} h, max {d[-1]:.2f} h")


if __name__ == "__main__":
    main()
