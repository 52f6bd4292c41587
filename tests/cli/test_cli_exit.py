"""The console entry point's exit: the heap is frozen as the process ends (no
last collections over it), never while a caller's process goes on."""

from __future__ import annotations

import gc
import subprocess
import sys
from unittest.mock import patch

import pytest

from ceasefire.cli import main


def test_main_in_a_long_process_leaves_its_collector_as_it_was() -> None:
    before = gc.get_freeze_count()
    with patch.object(sys, "argv", ["ceasefire", "--help"]), pytest.raises(SystemExit):
        main()
    assert gc.get_freeze_count() == before
    assert gc.isenabled()


def test_the_heap_is_frozen_when_the_process_exits() -> None:
    # an atexit hook registered after main's (so it runs before it: last in, first
    # out) and one registered before it (runs after) tell the freeze count around it
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('after', gc.get_freeze_count() > 0))\n"
        "from ceasefire.cli import main\n"
        "sys.argv = ['ceasefire', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('during', gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "during False" in out
    assert "after True" in out
