"""`ceasefire simulate` and `ceasefire score`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ceasefire.cli.common import console, spinner, step
from ceasefire.model.errors import InputError


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``score`` to the main app."""

    @app.command("simulate")
    def simulate_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m"),
        hours: float | None = typer.Option(
            None, "--hours", min=0.5, max=24 * 14, help="default 24"
        ),
        seed: int | None = typer.Option(None, "--seed", help="default 1"),
        out: Path = typer.Option(Path("sim"), "--out"),
        profile: str | None = typer.Option(
            None, "--profile", help="quiet, heavy or stress (default quiet)"
        ),
        start: str | None = typer.Option(
            None, "--start", help="ISO 8601 start; default 2025-06-01 00:00 in the mandate's zone"
        ),
        family: str | None = typer.Option(
            None,
            "--family",
            help="a scenario family (varied, or a profile's name); with --draw, instead of "
            "--profile, --seed, --hours and --start",
        ),
        draw: int | None = typer.Option(None, "--draw", min=0, help="the family member K"),
        patrol: Path | None = typer.Option(
            None, "--patrol", help="fly the sorties of this plan (`ceasefire patrol plan --out`)"
        ),
    ) -> None:
        """Simulate a day on the line: observations.ndjson and truth.json in OUT."""
        from ceasefire.mandate import load_mandate
        from ceasefire.simulate import get_profile, simulate, write_scenario
        from ceasefire.simulate.family import get_family, simulate_draw

        m = load_mandate(mandate)
        if family is not None or draw is not None:
            given = [
                f"--{n}"
                for n, v in (
                    ("profile", profile),
                    ("seed", seed),
                    ("hours", hours),
                    ("start", start),
                    ("patrol", patrol),
                )
                if v is not None
            ]
            if family is None or draw is None or given:
                raise InputError(
                    "a family member is named by --family NAME --draw K, alone: "
                    + (f"found {', '.join(given)} too" if given else "one of the two is missing"),
                    field="family",
                )
            d = get_family(family).draw(m, draw)
            with spinner("simulating") as prog:
                sc = simulate_draw(m, d)
                step(prog, f"writing {len(sc.observations):,} observations")
                paths = write_scenario(out, sc.observations, sc.truth)
            title = f"family {family}, draw {draw}: {d.hours:.2f} h, seed {d.seed}"
        else:
            prof = get_profile(profile or "quiet")
            hours = 24.0 if hours is None else hours
            seed = 1 if seed is None else seed
            if start is None:
                t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
            else:
                try:
                    dt = datetime.fromisoformat(start)
                except ValueError as exc:
                    raise typer.BadParameter(
                        f"{start!r} is not ISO 8601", param_hint="--start"
                    ) from exc
                t0 = (dt if dt.tzinfo else dt.replace(tzinfo=m.tz)).timestamp()
            plan = None
            if patrol is not None:
                from ceasefire.patrol.files import read_plan

                plan = read_plan(patrol)
            with spinner("simulating") as prog:
                sc = simulate(m, prof, t0, hours, seed, patrol=plan)
                step(prog, f"writing {len(sc.observations):,} observations")
                paths = write_scenario(out, sc.observations, sc.truth)
            title = f"{prof.name} profile, {hours:g} h, seed {seed}"
        t = Table(title=title)
        for col in (
            "rounds",
            "perceived",
            "observations",
            "clutter",
            "observers",
            "objects",
            "true violations",
        ):
            t.add_column(col, justify="right")
        perceived = sum(
            1 for r in sc.truth["rounds"] if r["launch_observations"] or r["impact_observations"]
        )
        t.add_row(
            f"{len(sc.rounds):,}",
            f"{perceived:,}",
            f"{len(sc.observations):,}",
            f"{len(sc.truth['clutter']):,}",
            f"{len(sc.observers):,}",
            f"{len(sc.things):,}",
            f"{len(sc.truth['violations']):,}",
        )
        console.print(t)
        if "patrol" in sc.truth:
            pt = sc.truth["patrol"]
            console.print(
                f"patrol plan ({pt['sorties']} sorties) caught {pt['caught']:,} of "
                f"{pt['withdrawal']:,} withdrawal violations"
            )
        for k, p in paths.items():
            console.print(f"  {k:12s} {p}")

    @app.command("score")
    def score_cmd(
        truth: Path = typer.Option(..., "--truth"),
        violations: Path = typer.Option(..., "--violations"),
        observations: Path | None = typer.Option(
            None, "--observations", help="for the Cramér-Rao bound (default: beside the truth)"
        ),
        all_truth: bool = typer.Option(
            False, "--all", help="count unperceived violations in recall"
        ),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Score violations against the simulator's truth."""
        from ceasefire.simulate.scoring import score_files

        if as_json:
            s = score_files(truth, violations, observations, perceived_only=not all_truth)
        else:
            with spinner("scoring") as prog:
                s = score_files(
                    truth,
                    violations,
                    observations,
                    perceived_only=not all_truth,
                    on_stage=lambda text: step(prog, text),
                )
        if as_json:
            typer.echo(json.dumps(s, indent=2, sort_keys=True))
            return
        print_score(s)


def print_score(s: dict[str, Any]) -> None:
    """The scores as tables."""
    t = Table(title="violations against truth")
    for col in ("rule", "system", "truth", "matched", "precision", "recall", "F1", "double"):
        t.add_column(col, justify="left" if col == "rule" else "right")
    for rule, r in sorted(s["per_rule"].items()):
        t.add_row(
            rule,
            f"{r['system']:,}",
            f"{r['truth']:,}",
            f"{r['matched']:,}",
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
            str(r["double_counts"]),
        )
    t.add_row(
        "all",
        f"{s['system']:,}",
        f"{s['truth']:,}",
        f"{s['matched']:,}",
        f"{s['precision']:.3f}",
        f"{s['recall']:.3f}",
        f"{s['f1']:.3f}",
        str(s["double_counts"]),
        style="bold",
    )
    console.print(t)
    console.print(
        f"true violations the mission never perceived (not in recall): {s['truth_unperceived']:,}"
    )
    miss = s.get("misses_by_perception")
    if miss:
        parts = ", ".join(f"{k} {v:,}" for k, v in miss.items() if v)
        console.print(f"missed, by what perceived them: {parts}")
        rep = s["reportable"]
        console.print(
            f"over the {rep['truth']:,} reportable (all but arrivals only at < 4 sensors): "
            f"recall {rep['recall']:.3f}, F1 {rep['f1']:.3f}"
        )
    loc = s.get("localization")
    if loc:
        line = (
            f"localization: median {loc['median_m']:.0f} m, p90 {loc['p90_m']:.0f} m, "
            f"RMSE {loc['rmse_m']:.0f} m"
        )
        if loc.get("ratio_to_crlb") is not None:
            line += (
                f"; seen by >= 3 observers ({loc['n_ge3_observers']:,}): "
                f"RMSE {loc['rmse_ge3_m']:.0f} m vs CRLB {loc['crlb_rms_m']:.0f} m "
                f"= {loc['ratio_to_crlb']:.2f} x"
            )
        console.print(line)
    if "patrol" in s:
        pt = s["patrol"]
        missed = pt["missed_by_plan"]
        console.print(
            f"patrol plan: its sorties caught {pt['caught']:,} of {pt['withdrawal']:,} withdrawal "
            f"violations, {pt['reported']:,} of them reported; missed by the plan: "
            f"{', '.join(missed[:8])}{' ...' if len(missed) > 8 else ''}"
        )
    if "ellipse_coverage_95" in s:
        console.print(f"95 % ellipses holding the truth: {s['ellipse_coverage_95']:.1%}")
    a = s["attribution"]
    if a["accuracy"] is not None:
        console.print(
            f"attribution: {a['accuracy']:.1%} right of {a['given_party']:,} given a party; "
            f"undetermined {a['undetermined_share']:.1%} of matched"
        )
    rt = Table(title="reliability of party_probability")
    for col in ("bin", "n", "mean p", "observed accuracy"):
        rt.add_column(col, justify="right")
    for r in s["reliability"]:
        rt.add_row(r["bin"], f"{r['n']:,}", f"{r['mean_p']:.3f}", f"{r['accuracy']:.3f}")
    console.print(rt)
