"""Shared fixtures: paths to the bundled examples; numba's compiles shared by
the run's processes (``numba_share``)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

import numba_share
import xdist_groups

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    # every process of the run, and those it forks, compiles a loop once
    numba_share.install()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # after xdist's own hook, which names the groups where pytest still reads it
    xdist_groups.group_node_ids(config, items)


_cold: list[bool] = []


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Each xdist worker told, as it starts, whether numba's cache was cold
    when the run began (asked once, here, before any worker compiles)."""
    if not _cold:
        _cold.append(numba_share.cache_is_cold())
    node.workerinput["numba_cold"] = _cold[0]


def pytest_sessionstart(session: pytest.Session) -> None:
    """On a fresh clone run by several xdist workers: numba's cache warmed by
    every worker at once before the first test (each worker begins with a
    workload of its own, and the loops one compiles the other loads), so that
    no test, CLI child or pool worker compiles the same loops again."""
    worker = getattr(session.config, "workerinput", None)
    if worker is None or int(worker["workercount"]) < 2 or not worker.get("numba_cold"):
        return
    d = Path(tempfile.mkdtemp(prefix="cf-warm-"))
    try:
        numba_share.warm(d, int(worker["workerid"].removeprefix("gw")))
    except Exception as e:  # the tests of the same code will fail by name
        warnings.warn(f"numba warm-up failed: {e!r}", stacklevel=1)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def donbas_mandate_path() -> Path:
    return ROOT / "examples" / "donbas-2015" / "mandate.yaml"


@pytest.fixture(scope="session")
def frontline_mandate_path() -> Path:
    return ROOT / "examples" / "frontline-2025" / "mandate.yaml"


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = "cf_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def ram_path(tmp_path: Path) -> Iterator[Path]:
    """A fresh directory in RAM (``/dev/shm``) where the machine has one, else
    ``tmp_path``: for suites that write and fsync small files thousands of times
    (a killed process or a tampered copy behaves the same on either)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="cf-test-", dir=shm))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server (dropped afterwards)."""
    with pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_databases() -> Callable[[], AbstractContextManager[str]]:
    """``pg_databases()`` as a context manager: a fresh database (for wider scopes)."""
    return pg_database
