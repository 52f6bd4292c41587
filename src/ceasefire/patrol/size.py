"""Fleet sizing: the smallest fleet reaching a coverage goal, and the curve.

The fleet document's mix is kept: ``n`` drones are shared out over its
(base, type) pairs in proportion to their counts (largest remainders, ties
to the document's order), and ``n`` grows by one until the goal is met.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone
from ceasefire.model.errors import FleetError
from ceasefire.patrol.coverage import coverage
from ceasefire.patrol.fleet import Fleet
from ceasefire.patrol.solve import plan_patrols


def parse_goal(text: str, m: Mandate) -> tuple[str, float]:
    """``ZONE=SHARE`` or ``line=SHARE`` as ``(what, share)``."""
    what, _, v = text.partition("=")
    zones = [z.id for z in m.doc.zones if isinstance(z, BufferZone)]
    try:
        share = float(v.rstrip("%")) / (100.0 if v.endswith("%") else 1.0)
    except ValueError:
        share = -1.0
    if what not in [*zones, "line"] or not 0.0 < share <= 1.0:
        raise FleetError(
            f"goal {text!r}: expected ZONE=SHARE or line=SHARE with SHARE in (0, 1], "
            f"ZONE one of {zones}",
            field="--goal",
        )
    return what, share


def mix(fleet: Fleet, n: int) -> dict[tuple[str, str], int]:
    """``n`` drones shared over the document's (base, type) pairs by their counts."""
    pairs = [(b.id, t, k) for b in fleet.doc.bases for t, k in b.drones.items() if k > 0]
    total = sum(k for _, _, k in pairs)
    quota = [n * k / total for _, _, k in pairs]
    got = [math.floor(q) for q in quota]
    order = sorted(range(len(pairs)), key=lambda i: (-(quota[i] - got[i]), i))
    for i in order[: n - sum(got)]:
        got[i] += 1
    return {(b, t): g for (b, t, _), g in zip(pairs, got, strict=True)}


def goal_value(cov: dict[str, Any], what: str) -> float:
    if what == "line":
        return float(cov["line"]["within_revisit"] or 0.0)
    return float(cov["zones"][what]["share"] or 0.0)


def size_fleet(
    m: Mandate,
    fleet: Fleet,
    goal: tuple[str, float],
    start_s: float,
    hours: float,
    *,
    max_drones: int = 40,
    time_limit_s: float = 2.0,
    on_step: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Plan with 1, 2, ... drones until ``goal`` is reached (or ``max_drones``)."""
    what, share = goal
    curve = []
    smallest = None
    for n in range(1, max_drones + 1):
        counts = mix(fleet, n)
        f = fleet.with_counts(counts)
        plan = plan_patrols(m, f, start_s, hours, time_limit_s=time_limit_s)
        v = goal_value(coverage(m, plan), what)
        row = {
            "drones": n,
            "mix": ", ".join(f"{b}:{t}x{k}" for (b, t), k in counts.items() if k),
            "value": v,
            "sorties": len(plan.sorties),
        }
        curve.append(row)
        if on_step:
            on_step(n, v)
        if v >= share:
            smallest = row
            break
    return {"goal": {"what": what, "share": share}, "curve": curve, "smallest": smallest}


def write_curve(res: dict[str, Any], out: Path) -> None:
    """``size.csv`` and ``size.png`` (coverage against fleet size) in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    with (out / "size.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["drones", "mix", "value", "sorties"])
        w.writeheader()
        w.writerows(res["curve"])
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    ax.plot([r["drones"] for r in res["curve"]], [r["value"] for r in res["curve"]], "o-")
    ax.axhline(res["goal"]["share"], color="grey", ls="--")
    ax.set_xlabel("drones")
    ax.set_ylabel(f"{res['goal']['what']} covered")
    fig.tight_layout()
    fig.savefig(out / "size.png")
    plt.close(fig)
