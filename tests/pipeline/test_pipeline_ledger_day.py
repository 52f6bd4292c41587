"""The day's observation digests are split over records of bounded size."""

from __future__ import annotations

import hashlib
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scene import build_scene

from ceasefire.ingest import ingest_files
from ceasefire.ledger import Ledger
from ceasefire.mandate import load_mandate
from ceasefire.pipeline import ledger_day


def test_observation_digests_are_chunked_and_complete(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    m = load_mandate(donbas_mandate_path)
    expect = build_scene(m, tmp_path / "obs.ndjson")
    obs = ingest_files([tmp_path / "obs.ndjson"]).accepted
    assert len(obs) == expect["accepted"] == 12  # 8 bearings, 3 tank sightings, 1 gun
    led = Ledger.open(tmp_path / "ledger")
    head = ledger_day(led, date(2025, 6, 1), 0.0, obs, [], [], chunk=5)
    recs = [led.record(i) for i in range(led.size)]
    parts = [r for r in recs if r["type"] == "observations"]
    # 12 digests in chunks of 5: 3 records, one digest each for every observation
    assert [len(r["digests"]) for r in parts] == [5, 5, 2]
    assert {r["parts"] for r in parts} == {3} and len({r["day_digest"] for r in parts}) == 1
    merged = {k: v for r in parts for k, v in r["digests"].items()}
    assert len(merged) == 12
    for o in obs:
        assert (
            merged[f"{o.source}/{o.id}"] == hashlib.sha256(o.model_dump_json().encode()).hexdigest()
        )
    assert head["size"] == 3
    # a re-run of the same day appends nothing new
    assert ledger_day(led, date(2025, 6, 1), 0.0, obs, [], [], chunk=5)["size"] == 3
