"""``benchmarks/family_cli.py``: the command line the family diagnostics share."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_cli import TUNING_DRAWS, draws_main, fuse_set, map_draws


def _row(job: tuple[int, Any]) -> dict[str, Any]:
    k, sets = job
    return {"draw": k, "sets": [list(s) for s in sets], "pid": os.getpid()}


def _two_rows(job: tuple[int, Any]) -> list[dict[str, Any]]:
    return [{"draw": job[0], "part": 0}, {"draw": job[0], "part": 1}]


def test_fuse_set_reads_a_dotted_field_and_a_json_value() -> None:
    assert fuse_set("association.seeds.sensor_m=30000") == ("association.seeds.sensor_m", 30000)
    assert fuse_set(" tile_s =null") == ("tile_s", None)
    assert fuse_set("a.b=[1, 2]") == ("a.b", [1, 2])


@pytest.mark.parametrize(
    ("text", "says"),
    [("sensor_m", "expected FIELD=JSON"), ("=3", "expected FIELD=JSON"),
     ("a.b=thirty", "the value is not JSON")],
)  # fmt: skip
def test_fuse_set_names_the_text_and_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says) as e:
        fuse_set(text)
    assert repr(text) in str(e.value)


def test_map_draws_keeps_the_draw_order_on_two_processes() -> None:
    jobs = [(k, ()) for k in (7, 3, 9, 1, 5)]
    got = map_draws(_row, jobs, procs=2)
    assert [r["draw"] for r in got] == [7, 3, 9, 1, 5]
    # both workers are forked children, not this process
    assert os.getpid() not in {r["pid"] for r in got}
    assert map_draws(_row, jobs[:2], procs=1)[0]["pid"] == os.getpid()


def test_draws_main_runs_each_draw_with_the_sets_then_reports_and_writes_json(
    tmp_path: Path,
) -> None:
    seen: list[Any] = []
    out = tmp_path / "rows.json"
    argv = ["--draws", "1003", "1001", "--procs", "1", "--fuse-set", "a.b=2", "--json", str(out)]
    assert draws_main("doc", _row, seen.append, argv=argv) == 0
    (rows,) = seen
    assert [r["draw"] for r in rows] == [1003, 1001]
    assert all(r["sets"] == [["a.b", 2]] for r in rows)
    assert json.loads(out.read_text()) == rows
    # --report prints from the copy without running a draw
    again: list[Any] = []
    assert draws_main("doc", _fail, again.append, argv=["--report", str(out)]) == 0
    assert again == [rows]


def _fail(job: tuple[int, Any]) -> dict[str, Any]:
    raise AssertionError(f"draw {job[0]} ran")


def test_draws_main_defaults_to_the_tuning_draws_and_can_refuse_test_draws(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[Any] = []
    draws_main("doc", _two_rows, seen.append, procs=1, argv=[], collect=_flatten)
    assert len(seen[0]) == 2 * len(TUNING_DRAWS)
    assert seen[0][:3] == [{"draw": 1000, "part": 0}, {"draw": 1000, "part": 1},
                           {"draw": 1001, "part": 0}]  # fmt: skip
    with pytest.raises(SystemExit) as e:
        draws_main("doc", _fail, seen.append, tuning_only=True, argv=["--draws", "1000", "5"])
    assert e.value.code == 2
    assert "tuning draws only" in capsys.readouterr().err


def _flatten(got: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for rs in got for r in rs]


def test_draws_can_be_required() -> None:
    with pytest.raises(SystemExit):
        draws_main("doc", _fail, print, draws=None, argv=[])
