"""`ceasefire simulate` and `ceasefire score`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ceasefire.cli.common import console, spinner, step


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``score`` to the main app."""

    @app.command("simulate")
    def simulate_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m"),
        hours: float = typer.Option(24.0, "--hours", min=0.5, max=24 * 14),
        seed: int = typer.Option(1, "--seed"),
        out: Path = typer.Option(Path("sim"), "--out"),
        profile: str = typer.Option(
            "quiet", "--profile", help="quiet, heavy, stress or offensive (a scenario)"
        ),
        start: str | None = typer.Option(
            None, "--start", help="ISO 8601 start; default 2025-06-01 00:00 in the mandate's zone"
        ),
    ) -> None:
        """Simulate a day on the line: observations.ndjson and truth.json in OUT."""
        from ceasefire.mandate import load_mandate
        from ceasefire.simulate import simulate, write_scenario
        from ceasefire.simulate.offensive import scenario

        m = load_mandate(mandate)
        prof, addition = scenario(profile, seed)
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
        with spinner("simulating") as prog:
            sc = simulate(m, prof, t0, hours, seed, addition=addition)
            step(prog, f"writing {len(sc.observations):,} observations")
            paths = write_scenario(out, sc.observations, sc.truth)
        t = Table(title=f"{prof.name} profile, {hours:g} h, seed {seed}")
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
        escalations: Path | None = typer.Option(
            None, "--escalations", help="also score these escalations (needs --mandate)"
        ),
        mandate: Path | None = typer.Option(
            None, "--mandate", "-m", help="the mandate whose ladder made --escalations"
        ),
    ) -> None:
        """Score violations against the simulator's truth (and escalations against
        a scenario's expected engagements)."""
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
        if escalations is not None:
            s["ladder"] = _ladder_score(truth, escalations, mandate)
        if as_json:
            typer.echo(json.dumps(s, indent=2, sort_keys=True))
            return
        print_score(s)
        if "ladder" in s:
            print_ladder_score(s["ladder"])


def _ladder_score(truth: Path, escalations: Path, mandate: Path | None) -> dict[str, Any]:
    from ceasefire.mandate import load_mandate
    from ceasefire.model.errors import InputError
    from ceasefire.simulate.ladder_score import score_ladder

    if mandate is None:
        raise InputError("--escalations needs --mandate (the ladder that made them)")
    try:
        esc = json.loads(escalations.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read escalations: {exc}", file=str(escalations)) from exc
    return score_ladder(json.loads(truth.read_text()), esc, load_mandate(mandate))


def print_ladder_score(s: dict[str, Any]) -> None:
    """The ladder's expected engagements, their delays, and the false ones."""
    t = Table(title="escalation against the scenario's expected engagements")
    for col in ("line", "party", "sector", "phase", "delay h", "allowed h", "in time"):
        t.add_column(col, justify="right" if col.endswith("h") else "left")
    for r in s["engagements"]:
        t.add_row(
            str(r["line"]),
            str(r["party"]),
            str(r["sector"] or ""),
            r["phase"],
            "never" if r["delay_h"] is None else f"{r['delay_h']:.2f}",
            f"{r['allowed_h']:g}",
            "yes" if r["in_time"] else "NO",
        )
    console.print(t)
    console.print(
        f"{s['met_in_time']} of {s['expected']} expected engagements in time; "
        f"false engagements of armed lines: {s['false_engagements']} "
        f"(against their own side {s['false_against_own_side']}, "
        f"against undetermined {s['false_against_undetermined']})"
    )


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
