"""What the benchmarks print about the machine, and the scratch databases they measure on."""

from __future__ import annotations

import platform
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PG_ADMIN", "cpu_model", "scratch_postgres"]

#: the local PostgreSQL server's maintenance database (trust authentication)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (Linux's ``/proc/cpuinfo``), else what ``platform`` says."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@contextmanager
def scratch_postgres(admin_url: str = PG_ADMIN) -> Iterator[str]:
    """A new empty database on the server of ``admin_url``, dropped on exit; yields its URL."""
    from sqlalchemy import create_engine, text

    name = "cf_bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()
