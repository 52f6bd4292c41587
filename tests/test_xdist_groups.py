"""``tests/xdist_groups.py``: under ``-n 2 --dist loadgroup`` the tests of one
``xdist_group`` run on one worker, the others wherever."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GROUPED = """
import time, pytest
pytestmark = pytest.mark.xdist_group("g")
def test_a(): time.sleep(0.3)
def test_b(): time.sleep(0.3)
def test_c(): time.sleep(0.3)
def test_d(): time.sleep(0.3)
"""
FREE = """
import time
def test_x(): time.sleep(0.3)
def test_y(): time.sleep(0.3)
"""
CONFTEST = """
import sys, pytest
sys.path.insert(0, {here!r})
import xdist_groups

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    xdist_groups.group_node_ids(config, items)
"""


def test_a_groups_tests_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_free.py").write_text(FREE)
    (tmp_path / "conftest.py").write_text(CONFTEST.format(here=str(Path(__file__).parent)))
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --dist loadgroup\n")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-v", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:]
    ran = re.findall(r"\[(gw\d)\] \[\s*\d+%\] PASSED (\S+)", out.stdout)
    assert len(ran) == 6, out.stdout[-2000:]
    workers = {worker for worker, test in ran if test.startswith("test_grouped.py")}
    # the group is one unit, named in the node ids
    assert len(workers) == 1
    assert all(test.endswith("@g") for _, test in ran if test.startswith("test_grouped.py"))
