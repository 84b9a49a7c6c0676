"""Where the recording lives by default, and creating it readable by its owner alone."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kubectl_rollouts_py import errors

APP_DIR = "kubectl-rollouts-py"
FILE_NAME = "rollouts.db"


def default_path(environ: Mapping[str, str]) -> Path:
    """$XDG_STATE_HOME/kubectl-rollouts-py/rollouts.db (XDG_STATE_HOME defaults to ~/.local/state)."""
    state = environ.get("XDG_STATE_HOME", "")
    base = Path(state) if state and os.path.isabs(state) else Path(environ.get("HOME") or os.path.expanduser("~")) / ".local" / "state"
    return base / APP_DIR / FILE_NAME


def create_owner_only(path: Path) -> bool:
    """Create the file (0600) and the directories missing above it (0700) unless it
    exists; True when it was created. Raises InputError saying why it cannot be."""
    if path.exists():
        if path.is_dir():
            raise errors.InputError(f"cannot use {path} as the recording: it is a directory")
        return False
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    try:
        for directory in reversed(missing):
            os.mkdir(directory, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise errors.InputError(f"cannot create the recording {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    os.chmod(path, 0o600)  # whatever the umask
    return True
