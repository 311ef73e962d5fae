"""Shared fixtures for the capability tests."""

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def import_training() -> Callable[[str], ModuleType]:
    """Imports ``training.<name>``: the training package lives at the repo root, not in src/."""

    def load(name: str) -> ModuleType:
        sys.path.insert(0, str(REPO))
        try:
            return importlib.import_module(f"training.{name}")
        finally:
            sys.path.remove(str(REPO))

    return load
