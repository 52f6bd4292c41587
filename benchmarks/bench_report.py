"""Benchmark: render a daily report (HTML + PDF + map) of a day of 10,000
violations, against the 20 s target of issue 7.

Violations are scattered along the Donbas contact line (examples/donbas-2015)
with 95 % ellipses of a few hundred metres to ~2 km, every party and
``undetermined``, all rules; 20,000 events; 60 observers; 30 days of history.
``--quick``: 1,000 violations. ``--n N``: N violations.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ceasefire.mandate import day_bounds, load_mandate
from ceasefire.model import Escalation, Event, Violation
from ceasefire.report import ReportContext, render_report

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 20.0
DAY = date(2015, 8, 23)


def scenario(n: int, seed: int = 7) -> ReportContext:
    """A synthetic day of ``n`` violations (deterministic for ``seed``)."""
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    start, end = day_bounds(m, DAY)
    rng = np.random.default_rng(seed)
    cl = m.contact
    s = rng.uniform(0.0, cl.local.length, n)
    pts = [cl.local.interpolate(float(x)) for x in s]
    x = np.array([p.x for p in pts]) + rng.normal(0, 4000.0, n)
    y = np.array([p.y for p in pts]) + rng.normal(0, 4000.0, n)
    lat, lon = cl.frame.to_latlon(x, y)
    rules = [r.id for r in m.doc.rules]
    rule = rng.choice(rules, n, p=None)
    parties = np.array(["UA", "RU", "undetermined"])[rng.integers(0, 3, n)]
    kinds = np.array(["explosion", "firing", "burst", "shot"])[rng.integers(0, 4, n)]
    t = np.sort(rng.uniform(start, end, n))
    sectors = np.array([sec.id for sec in m.doc.sectors])[rng.integers(0, 3, n)]
    ve = rng.uniform(1e4, 6e5, n)
    vn = rng.uniform(1e4, 6e5, n)
    cen = rng.uniform(-0.5, 0.5, n) * np.sqrt(ve * vn)
    vs = []
    for i in range(n):
        withdrawal = rule[i].startswith("withdrawal")
        vs.append(
            Violation(
                id=f"v{i:06d}",
                rule=str(rule[i]),
                severity="high",
                kind="sighting" if withdrawal else str(kinds[i]),
                time_s=float(t[i]),
                lat=float(lat[i]),
                lon=float(lon[i]),
                cov_m2=(float(ve[i]), float(vn[i]), float(cen[i])),
                party=str(parties[i]),
                party_probability=0.9 if parties[i] != "undetermined" else 0.6,
                probabilities={"UA": 0.5, "RU": 0.5},
                event_ids=(f"e{i:06d}",),
                observation_ids=(f"o{i:06d}a", f"o{i:06d}b"),
                distance_to_line_km=float(abs(rng.normal(0, 4))),
                side="left",
                response="record",
                object="artillery_ge_100mm" if withdrawal else None,
                sector=str(sectors[i]),
                first_seen_s=float(t[i]) if withdrawal else None,
                last_seen_s=float(t[i]) + 900.0 if withdrawal else None,
            )
        )
    events = [
        Event(
            id=f"e{i:06d}",
            kind="explosion",
            time_s=float(t[i % n]),
            lat=float(lat[i % n]) + 0.01 * (i >= n),
            lon=float(lon[i % n]),
            cov_m2=(4e4, 4e4, 0.0),
            observation_ids=(f"o{i:06d}a",),
            n_observers=2,
        )
        for i in range(2 * n)
    ]
    esc = [
        Escalation(
            id=f"x{i}",
            state="raised" if i % 2 == 0 else "cleared",
            line=1 + i % 2,
            line_name="Joint Centre",
            holder="JCCC",
            trigger="count",
            time_s=start + 3600.0 * i,
            party="RU" if i % 2 else "UA",
            sector="luhansk",
            violation_ids=("v000001",),
            message="threshold crossed",
        )
        for i in range(6)
    ]
    observers = [(f"op{i}", float(lat[i * 37 % n]), float(lon[i * 37 % n])) for i in range(60)]
    history = {DAY - timedelta(days=d): int(rng.integers(n // 2, n)) for d in range(1, 31)}
    return ReportContext(
        mandate=m,
        day=DAY,
        events=events,
        violations=vs,
        escalations=esc,
        observers=observers,
        history=history,
        previous=vs[: n // 2],
        ledger_head={
            "size": n + 1,
            "root_hash": "0" * 64,
            "time": "2015-08-23T21:00:00Z",
            "key_id": "bench",
            "signature": "0" * 128,
        },
        counts={"accepted": 40 * n, "rejected": 10, "duplicate": 5},
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="keep the report here")
    args = ap.parse_args()
    n = args.n or (1_000 if args.quick else 10_000)
    ctx = scenario(n)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-report-"))
    render_report(
        ReportContext(**{**ctx.__dict__, "violations": ctx.violations[:50]}), out / "warm", pdf=True
    )  # imports, fonts, caches
    t0 = time.perf_counter()
    paths = render_report(ctx, out, pdf=True)
    dt = time.perf_counter() - t0
    sizes = ", ".join(f"{k} {p.stat().st_size / 1e6:.2f} MB" for k, p in sorted(paths.items()))
    print(
        f"report of {n:,} violations, {len(ctx.events):,} events: {dt:.2f} s "
        f"(target {TARGET_S:.0f} s for 10,000) [{sizes}]"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    return 0 if (n != 10_000 or dt < TARGET_S) else 1


if __name__ == "__main__":
    raise SystemExit(main())
