"""A store URL's password is never printed nor written into summary.json, and
the URL is used as a URL, not mangled as a path."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import Cli
from sqlalchemy import create_engine, text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "s3cret-Pa55"


@pytest.fixture
def pg_db() -> Iterator[str]:
    name = "cf_test_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    yield name
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.mark.postgres
def test_run_on_a_postgres_url_hides_its_password(
    tmp_path: Path, cli: Cli, pg_db: str, donbas_mandate_path: Path
) -> None:
    # the local server trusts every password: the run works, the secret must not show
    url = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:5432/{pg_db}"
    out = tmp_path / "out"
    r = cli(
        "run",
        "--mandate",
        donbas_mandate_path,
        "--observations",
        EXAMPLES / "observations" / "bearings.ndjson",
        "--out",
        out,
        "--store",
        url,
        "--no-pdf",
    )
    assert r.returncode == 0, r.stderr
    assert SECRET not in r.stdout + r.stderr
    shown = f"postgresql+psycopg://postgres:***@127.0.0.1:5432/{pg_db}"
    assert shown in r.stdout
    summary_text = (out / "summary.json").read_text()
    assert SECRET not in summary_text
    summary = json.loads(summary_text)
    assert summary["store"] == shown
    assert "store" not in summary["outputs"], "a server store is not a file of the run"
    assert not (out / "store.db").exists()
    assert summary["counts"]["accepted"] == 8

    init = cli("init", "--mandate", donbas_mandate_path, "--store", url)
    assert init.returncode == 0, init.stderr
    assert SECRET not in init.stdout and shown in init.stdout
