"""numba's disk cache stamped by the code its loops are made of
(``model.numba_cache``): a loop whose helper in another file changed is compiled
anew, where numba's own stamp (the loop's file) would load the old helper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ceasefire.model.numba_cache import folder_digest

pytest.importorskip("numba")

CALLER = """
import numba
from helper import value

_value = numba.njit(cache=True)(value)


@numba.njit(cache=True)
def run():
    return _value()
"""

# one step in a fresh interpreter (a dispatcher keeps what it compiled or loaded)
STEP = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "stamped":
    from ceasefire.model.numba_cache import stamp_caches
    assert stamp_caches((Path(sys.argv[1]),))
import caller
print(caller.run(), sum(caller.run.stats.cache_hits.values()))
"""


def _helper(pkg: Path, value: int) -> None:
    (pkg / "helper.py").write_text(f"def value():\n    return {value}\n")


def _run(pkg: Path, how: str) -> tuple[int, int]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(pkg.parent / "cache"))
    out = subprocess.run(
        [sys.executable, "-c", STEP, str(pkg), how],
        env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    value, hits = out.stdout.split()
    return int(value), int(hits)


@pytest.mark.parametrize("how", ["plain", "stamped"])
def test_a_changed_helper_in_another_file(tmp_path: Path, how: str) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "caller.py").write_text(CALLER)
    _helper(pkg, 1)
    assert _run(pkg, how) == (1, 0)  # compiled, saved
    assert _run(pkg, how) == (1, 1)  # loaded from the cache
    _helper(pkg, 2)  # the caller's file untouched
    if how == "plain":
        # numba's own stamp: the caller's cache still holds the old helper
        assert _run(pkg, how) == (1, 1)
    else:
        assert _run(pkg, how) == (2, 0)
        assert _run(pkg, how) == (2, 1)


def test_folder_digest_follows_every_module(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "a.py").write_text("A = 1\n")
    (root / "sub" / "b.py").write_text("B = 1\n")
    (root / "notes.txt").write_text("not code\n")
    first = folder_digest.__wrapped__((root,))
    (root / "notes.txt").write_text("changed, still not code\n")
    assert folder_digest.__wrapped__((root,)) == first
    (root / "sub" / "b.py").write_text("B = 2\n")
    second = folder_digest.__wrapped__((root,))
    assert second != first
    (root / "sub" / "c.py").write_text("")
    assert folder_digest.__wrapped__((root,)) != second
    # a file's bytes moved to another name is another digest
    (root / "sub" / "c.py").unlink()
    (root / "sub" / "b.py").rename(root / "sub" / "d.py")
    assert folder_digest.__wrapped__((root,)) != second


def test_the_package_loops_are_stamped() -> None:
    from numba.core import caching

    from ceasefire.model.numba_cache import STAMPED, stamp_caches
    from ceasefire.model.small_matching import small_component_kernel

    assert stamp_caches()
    kernel = small_component_kernel()
    assert kernel is not None
    stamp = kernel._cache._cache_file._source_stamp
    assert stamp[1] == folder_digest(STAMPED)
    # the stamped locators come first, and decline another package's file (so
    # numba's own locators and stamps serve it)
    first = caching.CacheImpl._locator_classes[0]
    assert first.__name__.startswith("Stamped")
    assert first.from_function(os.path.join, os.path.__file__) is None
