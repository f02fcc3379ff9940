"""Shared test fixtures.

`shared_dir` points at the third-party data beside the repository (`../shared`); tests that
use it skip cleanly on machines that do not have it (users' machines).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (third-party test data lives there only in CI)")
    return SHARED
