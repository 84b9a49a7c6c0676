"""Reports how long the condition fuzzer ran and what it saw, at the end of the pytest run,
so a CI log shows it (issue 9 asks for the fuzzing time)."""

from __future__ import annotations

import json
import os

import pytest

from tests.hostile.fuzzstats import STATS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not STATS.rounds:
        return
    terminalreporter.section("hostile input: condition fuzzer")
    for line in STATS.lines():
        terminalreporter.write_line(line)
    report = os.environ.get("FUZZ_REPORT")
    if report:  # machine-readable copy, e.g. for a CI artifact
        with open(report, "w", encoding="utf-8") as handle:
            json.dump({"budget": STATS.budget, "seconds": STATS.seconds, "rounds": STATS.rounds,
                       "examples": dict(STATS.examples), "outcomes": dict(STATS.outcomes),
                       "distinct_messages": sorted(STATS.messages), "slowest_seconds": STATS.slowest}, handle, indent=2)
