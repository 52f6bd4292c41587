"""`ceasefire calibrate`: fit a mandate's attribution allowances on simulated days."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ceasefire.cli.common import console, err_console, spinner, step

#: fewer training violations than this: the fit is not to be trusted
MIN_TRAIN = 500


def parse_days(specs: list[str], option: str) -> list[tuple[str, int, float]]:
    """``PROFILE:SEED[:HOURS]`` specs → (profile, seed, hours), with a clear error."""
    out = []
    for s in specs:
        parts = s.split(":")
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            hours = float(parts[2]) if len(parts) == 3 else 24.0
            if not 0.5 <= hours <= 24.0 * 14:
                raise ValueError
            out.append((parts[0], int(parts[1]), hours))
        except ValueError as exc:
            raise typer.BadParameter(
                f"{s!r}: expected PROFILE:SEED or PROFILE:SEED:HOURS "
                "(e.g. heavy:2015 or stress:1:3; hours 0.5 to 336)",
                param_hint=option,
            ) from exc
    return out


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f} %"


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` to the main app."""

    @app.command("calibrate")
    def calibrate_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m"),
        train: list[str] = typer.Option(
            ..., "--train", help="a training day, PROFILE:SEED[:HOURS]; repeat for more"
        ),
        validate: list[str] = typer.Option(
            [], "--validate", help="a validation day, PROFILE:SEED[:HOURS]; repeat for more"
        ),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """Fit MANDATE's attribution allowances (how often each piece of evidence
        points the wrong way) on simulated days, and show calibration before and after."""
        from ceasefire.calibrate import Day, calibrate
        from ceasefire.simulate import get_profile

        tr = [Day(*d) for d in parse_days(train, "--train")]
        va = [Day(*d) for d in parse_days(validate, "--validate")]
        for d in [*tr, *va]:
            get_profile(d.profile)  # an unknown profile fails here, before any work
        with spinner("calibrating") as prog:
            cal = calibrate(mandate, tr, va, progress=lambda s: step(prog, s))
        n_train = sum(d.n for d in cal.days if d.role == "train")
        if n_train < MIN_TRAIN:
            err_console.print(
                f"[bold yellow]warning:[/] the training days hold {n_train:,} violations with "
                f"a known shooter; fewer than {MIN_TRAIN:,} do not pin down "
                f"{len(cal.allowances())} allowances (use longer or busier days)",
                highlight=False,
            )
        if as_json:
            typer.echo(json.dumps(cal.to_dict(), indent=2))
            return
        thr = cal.threshold
        t = Table(title=f"attribution before (mandate) → after (fit), party named at {thr:g}")
        for col in ("day", "role", "violations", "log loss", f"right at {thr:g}", "named"):
            t.add_column(col, justify="left" if col in ("day", "role") else "right")
        for ds in cal.days:
            t.add_row(
                ds.day.name,
                ds.role,
                f"{ds.n:,}",
                f"{ds.log_loss[0]:.3f} → {ds.log_loss[1]:.3f}",
                f"{_pct(ds.right_at_threshold[0])} → {_pct(ds.right_at_threshold[1])}",
                f"{ds.given_at_threshold[0]:,} → {ds.given_at_threshold[1]:,}",
            )
        console.print(t)
        for ds in cal.days:
            r = Table(title=f"reliability after the fit, {ds.day.name} ({ds.role})")
            for col in ("stated", "n", "mean stated", "right"):
                r.add_column(col, justify="right")
            for b in ds.reliability[1]:
                r.add_row(
                    f"{b['lo']:.2f}-{b['hi']:.2f}",
                    f"{b['n']:,}",
                    f"{b['mean_p']:.2f}",
                    f"{b['right']:.2f}",
                )
            console.print(r)
        console.print("[bold]paste into the mandate:[/]")
        console.print(cal.yaml_block(), highlight=False, markup=False)
