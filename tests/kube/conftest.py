"""Fixtures for the kube tests."""

from __future__ import annotations

import pytest

from .support import TRANSPORTS


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """Each test that asks for it runs once per transport ("http.client", "kubernetes")."""
    return str(request.param)
