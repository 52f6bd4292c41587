"""`run --days` and `whatif --days` on a local Dask cluster of 2 worker processes
give what the serial run gives: the same ledger, byte for byte, and the same
violations; `whatif --days` gives each day's `whatif --day`."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from clirun import Cli
from typer.testing import CliRunner

from ceasefire import pipeline
from ceasefire.cli import app
from ceasefire.mandate import load_mandate
from ceasefire.simulate import write_scenario
from ceasefire.simulate.offensive import scenario
from ceasefire.simulate.world import simulate

pytest.importorskip("distributed")

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("cli-days")

DAYS = ("2025-06-01", "2025-06-02", "2025-06-03")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> list[Path]:
    """Three small simulated days (1 h of a heavy day each, other seeds)."""
    m = load_mandate(donbas_mandate_path)
    tmp = tmp_path_factory.mktemp("days")
    files = []
    for k, day in enumerate(DAYS):
        prof, addition = scenario("heavy", 40 + k)
        t0 = datetime.fromisoformat(f"{day}T11:00").replace(tzinfo=m.tz).timestamp()
        sc = simulate(m, prof, t0, 1.0, 40 + k, addition=addition)
        files.append(write_scenario(tmp / day, sc.observations, sc.truth)["observations"])
    return files


@pytest.fixture(scope="module")
def serial(
    archive: list[Path], donbas_mandate_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("serial") / "out"
    pipeline.run(donbas_mandate_path, archive, out, pdf=False)
    return out


@pytest.fixture(scope="module")
def on_cluster(
    archive: list[Path], donbas_mandate_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "out"
    from clirun import run_cli

    obs = [a for f in archive for a in ("-o", str(f))]
    r = run_cli(
        "run", "-m", donbas_mandate_path, *obs, "--out", out, "--no-pdf",
        "--days", f"{DAYS[0]}..{DAYS[-1]}", "--workers", "2",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return out


def _heads(out: Path) -> list[tuple[int, str, int]]:
    """(size, root, time) of every signed head (signatures differ: each ledger has its key)."""
    rows = [json.loads(x) for x in (out / "ledger" / "heads.ndjson").read_text().splitlines()]
    return [(h["size"], h["root_hash"], h["timestamp_ms"]) for h in rows]


def test_the_cluster_run_writes_the_serial_ledger(serial: Path, on_cluster: Path) -> None:
    # the records appended by the client, in day order: the same bytes as the serial run
    records = (serial / "ledger" / "records.log").read_bytes()
    assert (on_cluster / "ledger" / "records.log").read_bytes() == records
    assert _heads(on_cluster) == _heads(serial)
    # every day signed (a head per day at least), and the log is not empty
    assert len(_heads(serial)) >= len(DAYS) and len(records) > 1000


def test_the_cluster_run_finds_the_serial_violations(serial: Path, on_cluster: Path) -> None:
    for name in ("violations.geojson", "events.geojson", "escalations.json", "notices.json"):
        assert (on_cluster / name).read_text() == (serial / name).read_text(), name
    a = json.loads((serial / "summary.json").read_text())["days"]
    b = json.loads((on_cluster / "summary.json").read_text())["days"]
    assert [d["day"] for d in b] == list(DAYS)
    assert [(d["violations_by_rule"], d["events"]) for d in b] == [
        (d["violations_by_rule"], d["events"]) for d in a
    ]
    assert sum(d["violations"] for d in a) > 0  # a heavy hour has violations to compare


def test_the_cluster_ledger_verifies(cli: Cli, on_cluster: Path) -> None:
    r = cli("ledger", "verify", on_cluster / "ledger")
    assert r.returncode == 0, r.stderr


def test_whatif_days_is_each_days_whatif(
    cli: Cli, serial: Path, donbas_mandate_path: Path, tmp_path: Path
) -> None:
    alt = tmp_path / "narrow.yaml"
    text = donbas_mandate_path.read_text()
    assert "width_km: {UA: 15, RU: 15}" in text
    alt.write_text(text.replace("width_km: {UA: 15, RU: 15}", "width_km: {UA: 2, RU: 2}"))
    store = serial / "store.db"
    r = cli(
        "whatif", "-m", alt, "--store", store, "--days", f"{DAYS[0]}..{DAYS[-1]}",
        "--workers", "2", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["days"]
    assert [x["day"] for x in rows] == list(DAYS)
    for row in rows:
        one = CliRunner().invoke(
            app, ["whatif", "-m", str(alt), "--store", str(store), "--day", row["day"], "--json"]
        )
        assert one.exit_code == 0, one.output
        single = json.loads(one.stdout)
        assert row["events"] == single["events"]
        assert row["only_current"] == single["only_current"]
        assert row["only_alternative"] == single["only_alternative"]
        assert row["current"] == sum(x["current"] for x in single["rows"])
        assert row["alternative"] == sum(x["alternative"] for x in single["rows"])
    # a zone narrowed to 2 km drops violations that stood inside 15 km, on some day
    assert sum(len(x["only_current"]) for x in rows) > 0


@pytest.mark.parametrize(
    ("days", "says"),
    [
        ("2025-06-03..2025-06-01", "is before"),
        ("2025-06-01..June", "expected FROM..TO"),
    ],
)
def test_a_bad_range_is_a_clear_error(
    cli: Cli, serial: Path, donbas_mandate_path: Path, days: str, says: str
) -> None:
    r = cli("whatif", "-m", donbas_mandate_path, "--store", serial / "store.db", "--days", days)
    assert r.returncode == 2
    assert says in r.stderr and "Traceback" not in r.stderr


def test_days_without_observations_are_named(
    cli: Cli, archive: list[Path], donbas_mandate_path: Path, tmp_path: Path
) -> None:
    r = cli(
        "run", "-m", donbas_mandate_path, "-o", archive[0], "--out", tmp_path / "o", "--no-pdf",
        "--days", "2025-07-01..2025-07-02", "--workers", "1",
    )  # fmt: skip
    assert r.returncode == 2
    assert "no observations on the days asked for" in r.stderr
    assert "Traceback" not in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_and_whatif_days_on_a_running_scheduler(
    cli: Cli, serial: Path, archive: list[Path], donbas_mandate_path: Path, tmp_path: Path
) -> None:
    """``--scheduler tcp://...``: a scheduler and a worker started as a user would
    (the client ships each day's input: the workers are not told where the store is)."""
    bindir = Path(sys.executable).parent
    addr = f"tcp://127.0.0.1:{_free_port()}"
    procs = [
        subprocess.Popen(
            [bindir / "dask", "scheduler", "--host", "127.0.0.1", "--port", addr.rsplit(":")[-1],
             "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    try:
        procs.append(
            subprocess.Popen(
                [bindir / "dask", "worker", addr, "--nthreads", "1", "--no-dashboard"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        span = f"{DAYS[0]}..{DAYS[-1]}"
        obs = [a for f in archive for a in ("-o", str(f))]
        r = cli("run", "-m", donbas_mandate_path, *obs, "--out", tmp_path / "out", "--no-pdf",
                "--days", span, "--scheduler", addr)  # fmt: skip
        assert r.returncode == 0, r.stderr
        ledger = (serial / "ledger" / "records.log").read_bytes()
        assert (tmp_path / "out" / "ledger" / "records.log").read_bytes() == ledger
        store = serial / "store.db"
        r = cli("whatif", "-m", donbas_mandate_path, "--store", store, "--days", span,
                "--scheduler", addr, "--json")  # fmt: skip
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)["days"]
        # the same mandate on both sides: nothing changes, every day judged
        assert [x["day"] for x in rows] == list(DAYS)
        assert all(x["current"] == x["alternative"] and not x["only_current"] for x in rows)
        summary = json.loads((serial / "summary.json").read_text())["days"]
        assert [x["current"] for x in rows] == [d["violations"] for d in summary]
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=30)
