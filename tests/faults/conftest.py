from __future__ import annotations

import pytest

from tests.faults import matrix
from tests.kube.support import TRANSPORTS


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


_BATCHES: list[matrix.Batch] = []


@pytest.fixture(scope="session")
def _fault_cells(request: pytest.FixtureRequest) -> matrix.Batch:
    batch = matrix.run_batch(request.session)
    _BATCHES.append(batch)
    return batch


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for batch in _BATCHES:
        terminalreporter.write_line(batch.summary())


@pytest.fixture
def batch(_fault_cells: matrix.Batch) -> matrix.Batch:
    """The outcomes of the fault matrix's cells: every selected test that uses this fixture
    is run, as its module's `run_cell`, on first use (tests/faults/matrix.py)."""
    return _fault_cells
