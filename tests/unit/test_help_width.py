"""cli/errors.py tells click the help width itself (so that help does not import shutil):
the width click would have worked out with shutil.get_terminal_size."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios

import pytest

from kubectl_rollouts_py.cli.errors import _help_width


@pytest.mark.parametrize("columns", [None, "", "abc", "0", "-5", "40", "60", "79", "100", "120", "300"])
def test_the_width_shutil_gives(columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    for most in (80, 100):
        assert _help_width(most) == max(min(shutil.get_terminal_size().columns, most) - 2, 50)


@pytest.mark.parametrize("size", [(40, 20), (90, 30), (132, 50)])
def test_on_a_terminal_of_its_own_size(size: tuple[int, int]) -> None:
    code = ("import shutil; from kubectl_rollouts_py.cli.errors import _help_width; "
            "print(_help_width(100), max(min(shutil.get_terminal_size().columns, 100) - 2, 50))")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    try:
        done = subprocess.run([sys.executable, "-c", code], stdout=follower, stderr=subprocess.PIPE, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        ours, click_s = os.read(leader, 1000).decode().split()
    finally:
        os.close(leader)
        os.close(follower)
    assert ours == click_s == str(max(min(size[0], 100) - 2, 50))
