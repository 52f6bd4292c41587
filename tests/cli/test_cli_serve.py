"""`ceasefire init`, `users add`, `serve` and `audit` as a user runs them (real
subprocesses): tokens shown once, acknowledged observations survive kill -9,
the audit lists the requests, a database password is never printed."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import httpx
import pytest

from ceasefire.cli import common, main
from ceasefire.store import Selection, Store

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))
ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}

pytestmark = pytest.mark.xdist_group("service-cli")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _run(*args: str, cwd: Path) -> Ran:
    """The console entry point in this process (``main`` prints our errors, exit 2)."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    code = 0
    files = common.console.file, common.err_console.file
    common.console.file, common.err_console.file = out, err
    try:
        with patch.object(sys, "argv", ["ceasefire", *args]), redirect_stdout(out):
            try:
                main()
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        os.chdir(old)
        common.console.file, common.err_console.file = files
    return Ran(code, out.getvalue(), err.getvalue())


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(cwd: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    assert EXE is not None
    port = _port()
    proc = subprocess.Popen(
        [EXE, "serve", "--port", str(port), "--no-pdf", *args],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"serve did not start: {proc.communicate()[0]}")


def _batch(k: int) -> str:
    return "".join(
        json.dumps(
            {
                "id": f"b{k}-{i}",
                "source": "op1",
                "time": "2025-06-01T09:00:00Z",
                "kind": "arrival",
                "observer": {"lat": 48.3, "lon": 38.2},
            }
        )
        + "\n"
        for i in range(50)
    )


def test_users_serve_kill_and_audit(tmp_path: Path, donbas_mandate_path: Path) -> None:
    assert _run("init", "--mandate", str(donbas_mandate_path), cwd=tmp_path).returncode == 0
    r = _run("users", "add", "mon", "--role", "monitor", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("cf_") and len(token) > 40
    bad = _run("users", "add", "ana", "--role", "analyst", cwd=tmp_path)
    assert bad.returncode == 2 and "needs at least one --sector" in bad.stderr
    listed = _run("users", "list", cwd=tmp_path)
    assert "mon" in listed.stdout and token not in listed.stdout
    st = Store.open(tmp_path / "ceasefire.db")
    assert token not in json.dumps(st.users()) and len(st.users()) == 1
    st.close()

    proc, url = _serve(tmp_path)
    acked: list[int] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}

    def post_forever() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            for k in range(10_000):
                try:
                    r = c.post("/observations", content=_batch(k))
                except httpx.HTTPError:
                    return
                if r.status_code == 200 and r.json()["accepted"] == 50:
                    acked.append(k)

    t = threading.Thread(target=post_forever, daemon=True)
    t.start()
    deadline = time.monotonic() + 120
    while len(acked) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    t.join(60)
    assert len(acked) >= 5
    st = Store.open(tmp_path / "ceasefire.db")
    stored = {r["id"] for r in st.select_observations(Selection(limit=10**6))}
    st.close()
    missing = [k for k in acked if not {f"b{k}-{i}" for i in range(50)} <= stored]
    assert missing == []

    audit = _run("audit", "--store", "ceasefire.db", "--user", "mon", cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    posts = [ln for ln in audit.stdout.splitlines() if "POST /api/v1/observations" in ln]
    assert len([ln for ln in posts if "written=50  200 allowed" in ln]) >= len(acked)
    assert all("mon (monitor)" in ln for ln in posts)
    assert token not in audit.stdout


def test_serve_never_prints_the_database_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:5432/cf_no_such_database"
    r = _run("serve", "--store", url, "--port", "0", cwd=tmp_path)
    assert r.returncode == 2
    assert "s3cret-pw" not in r.stdout + r.stderr
    assert "postgres:***@127.0.0.1:5432/cf_no_such_database" in r.stderr
