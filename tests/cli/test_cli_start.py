"""Fast start: commands that need no heavy library do not import one.

Each command runs in a fresh interpreter (as the console script would), which
then lists the heavy modules it holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ceasefire.ledger import Ledger

#: the pipeline's, the report's, the service's and the cluster's big imports
HEAVY = (
    "scipy",
    "sqlalchemy",
    "matplotlib",
    "fastapi",
    "shapely",
    "pyproj",
    "weasyprint",
    "ortools",
    "distributed",
    "uvicorn",
)

_PROBE = """
import json, sys
sys.argv = ["ceasefire", *json.loads(sys.argv[1])]
from ceasefire.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
top = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"code": code, "modules": top}), file=sys.stderr)
"""


def _modules(*args: str | Path) -> set[str]:
    """The top-level modules a fresh ``ceasefire ARGS`` has imported when done."""
    r = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([str(a) for a in args])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    last = json.loads(r.stderr.strip().splitlines()[-1])
    assert last["code"] in (0, None), r.stderr
    return set(last["modules"])


@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("start") / "ledger"
    led = Ledger.open(path)
    led.append([{"id": f"r{i}", "type": "note", "n": i} for i in range(5)])
    led.sign_head(1_800_000_000.0)
    led.close()
    return path


def test_help_imports_neither_numpy_nor_pydantic() -> None:
    mods = _modules("--help")
    assert "typer" in mods  # the probe ran the app
    assert not mods & {"numpy", "pydantic", *HEAVY}


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--help"),
        ("whatif", "--help"),
        ("ledger", "--help"),
        ("mandate", "--help"),
    ],
)
def test_a_command_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    assert not _modules(*args) & set(HEAVY)


def test_ledger_verify_imports_only_what_verifying_needs(ledger_dir: Path) -> None:
    mods = _modules("ledger", "verify", ledger_dir)
    # verifying needs hashes, arrays and Ed25519, nothing of the pipeline
    assert {"numpy", "cryptography"} <= mods
    assert not mods & set(HEAVY)
