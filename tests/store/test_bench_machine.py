"""``benchmarks/machine.py``: the CPU's name the benchmarks print, and their scratch
PostgreSQL databases (on the real local server)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from machine import PG_ADMIN, cpu_model, scratch_postgres


def test_cpu_model_is_the_model_name_line(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n")
    assert cpu_model(info) == "AMD EPYC 7B13"
    # no such file: platform's answer, never an exception
    assert isinstance(cpu_model(tmp_path / "absent"), str)


def _databases() -> set[str]:
    eng = create_engine(PG_ADMIN)
    try:
        with eng.connect() as c:
            return {r[0] for r in c.execute(text("SELECT datname FROM pg_database"))}
    finally:
        eng.dispose()


def test_scratch_postgres_is_empty_usable_and_dropped_even_after_an_error() -> None:
    tables = text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    with pytest.raises(RuntimeError, match="inside"), scratch_postgres() as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("cf_bench_") and name in _databases()
        eng = create_engine(url)
        with eng.begin() as c:
            assert c.execute(tables).scalar() == 0
            c.execute(text("CREATE TABLE t (x int)"))
        eng.dispose()
        raise RuntimeError("inside")
    assert name not in _databases()
