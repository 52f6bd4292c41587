"""Shared fixtures: paths to the bundled examples."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def donbas_mandate_path() -> Path:
    return ROOT / "examples" / "donbas-2015" / "mandate.yaml"


@pytest.fixture(scope="session")
def frontline_mandate_path() -> Path:
    return ROOT / "examples" / "frontline-2025" / "mandate.yaml"
