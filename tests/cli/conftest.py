"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest
from clirun import Cli, run_cli


@pytest.fixture
def cli() -> Cli:
    return run_cli
