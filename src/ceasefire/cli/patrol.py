"""`ceasefire patrol plan` and `ceasefire patrol size`: drone sorties and fleet size."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ceasefire.cli.common import console, spinner, step

if TYPE_CHECKING:
    from ceasefire.mandate import Mandate

app = typer.Typer(help="Drone patrols: plan the sorties, size the fleet.", no_args_is_help=True)


def _start(m: Mandate, start: str | None) -> float:
    if start is None:
        return datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    try:
        dt = datetime.fromisoformat(start)
    except ValueError as exc:
        raise typer.BadParameter(f"{start!r} is not ISO 8601", param_hint="--start") from exc
    return (dt if dt.tzinfo else dt.replace(tzinfo=m.tz)).timestamp()


def _hot_points(m: Mandate, store: str | None, days: int, start_s: float) -> Any:
    """Recent violations' positions in the contact line's frame, ``(n, 2)`` m."""
    import numpy as np

    if store is None:
        return np.zeros((0, 2))
    from ceasefire.store import Store

    st = Store.open(store)
    try:
        vs = st.violations(start_s - days * 86400.0, start_s)
    finally:
        st.close()
    pts = [(v.lat, v.lon) for v in vs if v.lat is not None and v.lon is not None]
    if not pts:
        return np.zeros((0, 2))
    a = np.asarray(pts, dtype=np.float64)
    x, y = m.contact.frame.to_xy(a[:, 0], a[:, 1])
    return np.column_stack([x, y])


def coverage_table(cov: dict[str, Any], title: str) -> Table:
    """Line and zone coverage per sector."""
    t = Table(title=title)
    t.add_column("sector")
    t.add_column(f"line within {cov['line']['revisit_h']:g} h", justify="right")
    t.add_column("line every period", justify="right")
    t.add_column("line seen", justify="right")
    zones = list(cov["zones"])
    for z in zones:
        t.add_column(f"{z} area", justify="right")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    for sid, s in cov["line"]["sectors"].items():
        cells = []
        for z in zones:
            parts = [v for v in cov["zones"][z]["sectors"].get(sid, {}).values() if v is not None]
            cells.append(pct(sum(parts) / len(parts)) if parts else "-")
        t.add_row(sid, pct(s["within_revisit"]), pct(s["every_period"]), pct(s["seen"]), *cells)
    t.add_row(
        "all",
        pct(cov["line"]["within_revisit"]),
        pct(cov["line"]["every_period"]),
        pct(cov["line"]["seen"]),
        *[pct(cov["zones"][z]["share"]) for z in zones],
        style="bold",
    )
    return t


@app.command("plan")
def plan_cmd(
    mandate: Path = typer.Option(..., "--mandate", "-m"),
    fleet: Path = typer.Option(..., "--fleet", "-f"),
    out: Path = typer.Option(Path("patrol"), "--out"),
    hours: float = typer.Option(24.0, "--hours", min=1.0, max=24 * 7),
    start: str | None = typer.Option(
        None, "--start", help="ISO 8601 start; default 2025-06-01 00:00 in the mandate's zone"
    ),
    store: str | None = typer.Option(
        None, "--store", "-s", help="weigh hot spots by the violations stored here"
    ),
    days: int | None = typer.Option(
        None, "--days", help="days of violations (default: the fleet's)"
    ),
    planner: str = typer.Option("routing", "--planner", help="routing (OR-Tools) or baseline"),
    time_limit: float = typer.Option(5.0, "--time-limit", help="solver seconds per base"),
) -> None:
    """Plan the sorties: plan.json, routes.geojson, routes.kml, schedule.csv,
    coverage.json and coverage.png in OUT."""
    from ceasefire.mandate import load_mandate
    from ceasefire.patrol import load_fleet, plan_patrols
    from ceasefire.patrol.baseline import plan_baseline
    from ceasefire.patrol.coverage import coverage
    from ceasefire.patrol.files import write_plan
    from ceasefire.patrol.mapplot import render_coverage

    if planner not in ("routing", "baseline"):
        raise typer.BadParameter("expected routing or baseline", param_hint="--planner")
    m = load_mandate(mandate)
    f = load_fleet(fleet, m)
    t0 = _start(m, start)
    with spinner("planning") as prog:
        hot = _hot_points(m, store, days or f.doc.goals.hotspot_days, t0)
        if planner == "routing":
            p = plan_patrols(m, f, t0, hours, hot_xy=hot, time_limit_s=time_limit)
        else:
            p = plan_baseline(m, f, t0, hours)
        step(prog, "measuring coverage")
        cov = coverage(m, p)
        cov["hot_spots"] = int(hot.shape[0])
        step(prog, "writing")
        paths = write_plan(p, cov, out)
        paths["map"] = render_coverage(m, p, out / "coverage.png")
    console.print(
        f"{len(p.sorties)} sorties of {len(p.drones)} drones, {cov['flown_km']:,.0f} km, "
        f"{cov['flight_hours']:.1f} flight hours; {hot.shape[0]} recent violations as hot spots"
    )
    console.print(coverage_table(cov, f"coverage ({p.planner}, {hours:g} h)"))
    for k, v in paths.items():
        console.print(f"  {k:9s} {v}")


@app.command("size")
def size_cmd(
    mandate: Path = typer.Option(..., "--mandate", "-m"),
    fleet: Path = typer.Option(..., "--fleet", "-f"),
    goal: str = typer.Option(
        ...,
        "--goal",
        help="ZONE=SHARE (a zone's area seen per day) or line=SHARE (line seen within "
        "the revisit interval), e.g. demilitarized=0.9",
    ),
    max_drones: int = typer.Option(40, "--max-drones", min=1),
    hours: float = typer.Option(24.0, "--hours", min=1.0, max=24 * 7),
    time_limit: float = typer.Option(2.0, "--time-limit", help="solver seconds per base"),
    out: Path | None = typer.Option(None, "--out", help="write size.csv and size.png here"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The smallest fleet (the document's mix of types and bases, scaled) that
    reaches GOAL, with the curve of coverage against fleet size."""
    from ceasefire.mandate import load_mandate
    from ceasefire.patrol import load_fleet
    from ceasefire.patrol.size import parse_goal, size_fleet, write_curve

    m = load_mandate(mandate)
    f = load_fleet(fleet, m)
    g = parse_goal(goal, m)
    with spinner("sizing") as prog:
        res = size_fleet(
            m, f, g, _start(m, None), hours, max_drones=max_drones, time_limit_s=time_limit,
            on_step=lambda n, v: step(prog, f"{n} drones: {v:.1%}"),
        )  # fmt: skip
    if out is not None:
        write_curve(res, out)
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    t = Table(title=f"coverage against fleet size (goal {goal})")
    for c in ("drones", "per base and type", "value", "sorties"):
        t.add_column(c, justify="right" if c != "per base and type" else "left")
    for r in res["curve"]:
        t.add_row(str(r["drones"]), r["mix"], f"{r['value']:.1%}", str(r["sorties"]))
    console.print(t)
    if res["smallest"] is None:
        console.print(f"no fleet up to {max_drones} drones reaches {goal}")
    else:
        console.print(f"smallest fleet reaching {goal}: {res['smallest']['drones']} drones "
                      f"({res['smallest']['mix']})")  # fmt: skip
