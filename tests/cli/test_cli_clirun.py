"""The test helper that runs the CLI keeps the test process's import path."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import run_cli


def test_the_cli_subprocess_imports_from_the_test_process_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a package named like ours, first on PYTHONPATH: if the subprocess kept the
    # path, the console script runs this package's main, not the installed one
    shadow = tmp_path / "ceasefire"
    (shadow / "cli").mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    (shadow / "cli" / "__init__.py").write_text(
        "def main():\n    print('from the shadow tree')\n    return 0\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert run_cli("--help").stdout.strip() == "from the shadow tree"
    monkeypatch.delenv("PYTHONPATH")
    assert "from the shadow tree" not in run_cli("--help").stdout
