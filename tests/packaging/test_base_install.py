"""`pip install ceasefire` alone (the base dependencies, no extra) is enough to
verify a proof bundle: a party that only checks the mission's evidence needs no
pipeline, report or optimisation libraries.

The fresh environment is a new virtual environment holding exactly the
distributions that pyproject's ``[project] dependencies`` pull in (their
requirement closure, read from the installed metadata and copied file by file
from this environment: what pip would install, without a download), and the
package source on its path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
import tomllib
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("base-install")

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "pyproj", "shapely", "sqlalchemy", "matplotlib", "weasyprint", "ortools")


def _marker_ok(r: Requirement, extras: set[str]) -> bool:
    if r.marker is None:
        return True
    return any(r.marker.evaluate({"extra": e}) for e in extras | {""})


@pytest.fixture(scope="module")
def base_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    todo = [(Requirement(r), set()) for r in deps]
    names: set[str] = set()
    while todo:
        req, _ = todo.pop()
        key = req.name.lower().replace("_", "-")
        if key in names:
            continue
        names.add(key)
        for sub in metadata.distribution(req.name).requires or []:
            r = Requirement(sub)
            if _marker_ok(r, set(req.extras)):
                todo.append((r, set(r.extras)))
    env = tmp_path_factory.mktemp("base") / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(env), "platbase": str(env)}))
    for name in sorted(names):
        dist = metadata.distribution(name)
        for f in dist.files or []:
            if str(f).startswith(".."):  # console scripts outside site-packages
                continue
            src = Path(str(dist.locate_file(f)))
            if src.is_file():
                dst = site / f
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
    (site / "ceasefire-src.pth").write_text(str(ROOT / "src") + "\n")
    assert not {"scipy", "shapely", "pyproj", "sqlalchemy"} & names, names
    return env


def _ceasefire(env: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from ceasefire.cli import main; sys.argv[0] = 'ceasefire'; main()"
    return subprocess.run(
        [str(env / "bin" / "python"), "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from ceasefire.ledger import Ledger

    tmp = tmp_path_factory.mktemp("ledger")
    led = Ledger.open(tmp / "ledger")
    led.append([{"type": "violation", "id": f"v{i}", "rule": "ceasefire"} for i in range(5)])
    led.sign_head(1_750_000_000.0)
    (tmp / "bundle.json").write_text(json.dumps(led.prove("v3")))
    (tmp / "mission.pem").write_bytes(led.public_key_pem())
    return tmp / "bundle.json", tmp / "mission.pem"


def test_the_base_environment_lacks_the_heavy_libraries(base_env: Path) -> None:
    code = f"import importlib.util as u; print([m for m in {HEAVY!r} if u.find_spec(m)])"
    r = subprocess.run(
        [str(base_env / "bin" / "python"), "-c", code], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_verify_proof_runs_on_the_base_install(base_env: Path, bundle: tuple[Path, Path]) -> None:
    b, pem = bundle
    ok = _ceasefire(base_env, "ledger", "verify-proof", b, "--key", pem)
    assert ok.returncode == 0, ok.stderr
    assert "proof verified" in ok.stdout and "'v3'" in ok.stdout
    tampered = json.loads(b.read_text())
    tampered["record"]["rule"] = "drone"
    bad = b.with_name("tampered.json")
    bad.write_text(json.dumps(tampered))
    r = _ceasefire(base_env, "ledger", "verify-proof", bad, "--key", pem)
    assert r.returncode == 1 and "verification failed" in r.stderr


def test_a_command_needing_an_extra_names_it(base_env: Path, tmp_path: Path) -> None:
    r = _ceasefire(base_env, "mandate", "check", ROOT / "examples/donbas-2015/mandate.yaml")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "pip install 'ceasefire[pipeline]'" in r.stderr
