"""What the condition fuzzer did in this session, for the terminal summary (conftest.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FuzzStats:
    budget: float = 0.0
    seconds: float = 0.0
    rounds: int = 0
    examples: Counter[str] = field(default_factory=Counter)  # per property
    outcomes: Counter[str] = field(default_factory=Counter)  # ok / compile / runtime / not_bool / limit
    messages: set[str] = field(default_factory=set)  # distinct error messages (first words)
    slowest: float = 0.0  # one evaluation, seconds
    slowest_text: str = ""

    def lines(self) -> list[str]:
        total = sum(self.examples.values())
        lines = [
            f"condition fuzzer: ran {self.seconds:.1f}s of a {self.budget:.0f}s budget (FUZZ_SECONDS), "
            f"{self.rounds} rounds, {total} examples, {len(self.messages)} distinct error messages, "
            f"slowest evaluation {self.slowest * 1000:.0f} ms",
            "  examples per property: " + ", ".join(f"{k}={v}" for k, v in sorted(self.examples.items())),
            "  outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(self.outcomes.items())),
        ]
        if self.slowest_text:
            lines.append(f"  slowest input: {self.slowest_text[:120]!r}")
        return lines


STATS = FuzzStats()
