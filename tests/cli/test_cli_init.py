"""`ceasefire init` never swaps the mandate under a store's data without a word."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from clirun import Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _meta(db: Path, key: str) -> str | None:
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def test_init_refuses_another_mandate_on_a_store_with_data_then_force_records_it(
    tmp_path: Path, cli: Cli, donbas_mandate_path: Path, frontline_mandate_path: Path
) -> None:
    db = tmp_path / "s.db"
    assert cli("init", "--mandate", donbas_mandate_path, "--store", db).returncode == 0
    r = cli("ingest", "--store", db, EXAMPLES / "observations" / "bearings.ndjson")
    assert r.returncode == 0, r.stderr
    donbas = donbas_mandate_path.read_text(encoding="utf-8")

    # the same mandate again is harmless
    assert cli("init", "--mandate", donbas_mandate_path, "--store", db).returncode == 0
    refused = cli("init", "--mandate", frontline_mandate_path, "--store", db)
    assert refused.returncode == 2
    assert "already holds 8 observations" in refused.stderr and "--force" in refused.stderr
    assert _meta(db, "mandate") == donbas

    forced = cli("init", "--mandate", frontline_mandate_path, "--store", db, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced the mandate" in forced.stdout
    assert _meta(db, "mandate") == frontline_mandate_path.read_text(encoding="utf-8")
    history = json.loads(_meta(db, "mandate_history") or "[]")
    assert len(history) == 1
    assert history[0]["previous_text"] == donbas
    assert history[0]["previous_source"] == str(donbas_mandate_path)
    assert history[0]["new_source"] == str(frontline_mandate_path)
    assert history[0]["observations_then"] == 8
