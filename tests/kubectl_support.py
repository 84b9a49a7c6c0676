"""What the tests that run the real kubectl share: finding it, and a command's result."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

KUBECTL_CANDIDATES = ("/usr/bin/kubectl",)


def find_kubectl() -> str | None:
    """The machine's kubectl (the image's, before any other on PATH), or None."""
    for candidate in KUBECTL_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("kubectl")


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr
