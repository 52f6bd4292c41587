"""``benchmarks/bench_fuse_speed.py``'s before tree: a revision's ``src/`` extracted
once and reused (numba's caches beside it survive), a bad revision named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_fuse_speed import _before_src  # noqa: E402


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout


def test_the_revisions_sources_extracted_once_then_reused(tmp_path: Path) -> None:
    src = _before_src("HEAD", tmp_path)
    sha = _git("rev-parse", "HEAD").decode().strip()
    assert src == tmp_path / "ceasefire-before" / sha / "src"
    assert (src / "ceasefire" / "__init__.py").read_bytes() == _git(
        "show", "HEAD:src/ceasefire/__init__.py"
    )
    # what a run left beside the sources (numba's cache files) is there on the next
    marker = src / "ceasefire" / "__pycache__" / "kept.nbi"
    marker.parent.mkdir(exist_ok=True)
    marker.write_bytes(b"x")
    assert _before_src(sha[:12], tmp_path) == src
    assert marker.read_bytes() == b"x"
    # no half-extracted trees left beside it
    assert [p.name for p in (tmp_path / "ceasefire-before").iterdir()] == [sha]


def test_a_bad_revision_is_named(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--before no-such-rev: not a git revision"):
        _before_src("no-such-rev", tmp_path)
    assert not (tmp_path / "ceasefire-before").exists()
