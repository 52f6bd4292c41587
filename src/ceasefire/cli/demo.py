"""`ceasefire demo`: a realistic day on the bundled Donbas example, end to end."""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path

import typer

from ceasefire.cli.common import StageProgress, console


def _example_mandate() -> Path:
    """The bundled Donbas mandate: from the source tree, else from the package."""
    here = Path(__file__).resolve().parents[3] / "examples" / "donbas-2015" / "mandate.yaml"
    if here.exists():
        return here
    return Path(str(resources.files("ceasefire") / "data" / "donbas-2015-mandate.yaml"))


#: What the demo writes into its folder (and replaces on a re-run), and its mark.
DEMO_OUTPUTS = (
    "observations.ndjson",
    "truth.json",
    "store.db",
    "store.db-wal",
    "store.db-shm",
    "quarantine.ndjson",
    "ledger",
    "events.geojson",
    "violations.geojson",
    "escalations.json",
    "notices.json",
    "reports",
    "report.html",
    "report.pdf",
    "report-internal.html",
    "summary.json",
)
MARK = ".ceasefire-demo"


def _earlier_demo(out: Path) -> bool:
    """A folder a demo wrote before it marked its folders: the simulator's truth
    and a run's summary, and nothing but the demo's outputs."""
    names = {p.name for p in out.iterdir()}
    return {"truth.json", "summary.json"} <= names <= set(DEMO_OUTPUTS)


def prepare_out(out: Path, *, force: bool) -> None:
    """Make ``out`` ready for the demo without touching what a user put there.

    A missing or empty folder is used as is; a folder an earlier demo wrote (it
    holds :data:`MARK`), or any folder with ``force``, loses only the demo's own
    outputs (:data:`DEMO_OUTPUTS`). Any other non-empty folder is refused.
    """
    from ceasefire.model.errors import PipelineError

    if out.exists() and not out.is_dir():
        raise PipelineError(f"--out {out} is a file; expected a folder for the demo's outputs")
    if out.is_dir() and any(out.iterdir()):
        if not (force or (out / MARK).exists() or _earlier_demo(out)):
            raise PipelineError(
                f"--out {out} is not empty and was not written by `ceasefire demo`; "
                "expected a new or empty folder (or --force to write the demo's files into it, "
                "replacing only files of the same names)"
            )
        for name in DEMO_OUTPUTS:
            p = out / name
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARK).write_text(
        "written by `ceasefire demo`; a re-run replaces its outputs here\n", encoding="utf-8"
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the main app."""

    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(
            Path("demo-out"), "--out", help="output folder: new, empty, or an earlier demo's"
        ),
        force: bool = typer.Option(
            False, "--force", help="write into a non-empty folder (replacing the demo's files)"
        ),
        profile: str = typer.Option("heavy", "--profile", help="quiet, heavy or stress"),
        seed: int = typer.Option(2015, "--seed"),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf"),
    ) -> None:
        """Simulate a day on the Donbas line; ingest, fuse, assess, sign, report and score it."""
        prepare_out(out, force=force)
        from ceasefire import pipeline
        from ceasefire.cli.simulate import print_score
        from ceasefire.cli.stages import counts_table, days_table
        from ceasefire.mandate import load_mandate
        from ceasefire.simulate import get_profile, simulate, write_scenario
        from ceasefire.simulate.scoring import score_files

        mandate_path = _example_mandate()
        m = load_mandate(mandate_path)
        with StageProgress("demo") as progress:
            progress(f"simulating a {profile} day on {m.doc.mission.name}")
            t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
            sc = simulate(m, get_profile(profile), t0, 24.0, seed)
            paths = write_scenario(out, sc.observations, sc.truth)
            summary = pipeline.run(
                mandate_path,
                [paths["observations"]],
                out,
                pdf=pdf,
                progress=progress,
            )
            progress("scoring against the simulator's truth")
            scores = score_files(
                paths["truth"], summary.outputs["violations"], paths["observations"]
            )
        console.print(counts_table(summary.counts))
        console.print(days_table(summary))
        print_score(scores)
        for k, p in sorted(summary.outputs.items()):
            console.print(f"  {k:12s} {p}")
        console.print(f"  {'truth':12s} {paths['truth']}")
        console.print(f"[bold]report:[/] {summary.outputs.get('report_html')}")
