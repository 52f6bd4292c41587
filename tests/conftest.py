"""Shared fixtures: paths to the bundled examples."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
