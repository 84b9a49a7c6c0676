"""Fixtures for the krew distribution tests: one build per session, one simulated krew install.

`built` runs plugin/build.py once (wheels come from PyPI through pip the first time, then
from the build's wheel cache). Where pip cannot fetch them the tests that need an archive
are skipped with pip's message, except under CI=true, where that is a failure.

`krew` installs that archive the way krew 0.4 does (internal/installation, internal/download):
the archive type sniffed from its first bytes, its sha256 checked, tar entries limited to
regular files and directories with no `..` or absolute paths, file modes kept, the
platform chosen by the selector that matches this os/arch, `files` applied (a direct move
when `from` names a file, else a glob, `to: .` keeping the base name), the install dir
store/<name>/<version>, and a relative symlink bin/kubectl-<name with _> to `bin`.
krew itself cannot be installed on these machines.
"""

from __future__ import annotations

import fnmatch
import glob
import gzip
import hashlib
import importlib.util
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from kubectl_support import Result, find_kubectl
import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "krew-manifest.yaml"
EXAMPLE = REPO / "examples" / "app-backend-canary.yaml"
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rollouts_py_plugin_build", REPO / "plugin" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_module() -> ModuleType:
    return load_build_module()


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    with MANIFEST.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def build_or_skip(build_module: ModuleType, out_dir: Path) -> Any:
    messages: list[str] = []
    try:
        return build_module.build(out_dir=out_dir, log=messages.append)
    except build_module.BuildError as exc:
        if "pip could not download" in str(exc) and os.environ.get("CI") != "true":
            pytest.skip(f"cannot build the krew archive here: {exc}")
        raise


@pytest.fixture(scope="session")
def built(build_module: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The archive plugin/build.py makes from this checkout (built once per session)."""
    return build_or_skip(build_module, tmp_path_factory.mktemp("dist"))


# --------------------------------------------------------------------------- krew's install


def go_platform() -> tuple[str, str]:
    machine = platform.machine().lower()
    return sys.platform if sys.platform != "linux2" else "linux", _GOARCH.get(machine, machine)


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """metav1.LabelSelector semantics for the os/arch labels krew matches against."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {operator!r}")
    return True


class KrewError(Exception):
    pass


def extract_like_krew(archive: Path, sha256: str, target: Path) -> None:
    data = archive.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise KrewError(f"checksum does not match: want {sha256}, got {hashlib.sha256(data).hexdigest()}")
    if not data.startswith(b"\x1f\x8b\x08"):  # http.DetectContentType -> application/x-gzip
        raise KrewError("mime type is not application/x-gzip")
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as tar:
        for member in tar:
            if member.name == "pax_global_header":
                continue
            if ".." in member.name or member.name.startswith(("/", "\\")):
                raise KrewError(f"refusing to unpack archive with suspicious entry {member.name!r}")
            path = target / member.name
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True, mode=member.mode)
            elif member.isreg():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, member.mode)
                with os.fdopen(fd, "wb") as out:
                    source = tar.extractfile(member)
                    assert source is not None
                    shutil.copyfileobj(source, out)
            else:
                raise KrewError(f"unable to handle file type {member.type!r} for {member.name!r} in tar")


def move_files_like_krew(from_dir: Path, to_dir: Path, operations: Sequence[dict[str, str]]) -> None:
    for op in operations:
        source, dest = op["from"], op["to"]
        if dest != os.path.normpath(dest):
            raise KrewError(f"the provided path is not clean, {dest!r} should be {os.path.normpath(dest)!r}")
        direct = Path(os.path.normpath(from_dir / source))
        if direct.exists():  # getDirectMove
            moves = [(direct, to_dir / (direct.name if os.path.normpath(dest) == "." else dest))]
        else:
            matches = sorted(glob.glob(str(from_dir / source)))
            if not matches:
                raise KrewError(f"no files in the plugin archive matched the glob pattern={source}")
            moves = [(Path(m), to_dir / dest / Path(m).name) for m in matches]
        for src, dst in moves:
            if not (src.resolve().is_relative_to(from_dir.resolve()) and dst.resolve().is_relative_to(to_dir.resolve())):
                raise KrewError(f"can't move {src} to {dst}: not a subpath")
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)


@dataclass(frozen=True)
class KrewInstall:
    root: Path  # KREW_ROOT
    install_dir: Path  # store/rollouts-py/v<version>
    bin_dir: Path  # KREW_ROOT/bin, the only plugin directory on PATH
    link: Path  # bin/kubectl-rollouts_py
    platform: dict[str, Any]


def install_like_krew(manifest: dict[str, Any], archive: Path, sha256: str, root: Path) -> KrewInstall:
    os_name, arch = go_platform()
    labels = {"os": os_name, "arch": arch}
    candidates = [p for p in manifest["spec"]["platforms"] if selector_matches(p["selector"], labels)]
    if not candidates:
        raise KrewError(f"plugin {manifest['metadata']['name']!r} does not offer installation for {os_name}/{arch}")
    chosen = candidates[0]
    staging = root / "downloads"
    staging.mkdir(parents=True)
    extract_like_krew(archive, sha256, staging)
    name, version = manifest["metadata"]["name"], manifest["spec"]["version"]
    install_dir = root / "store" / name / version
    moved = root / "move-tmp"
    moved.mkdir(mode=0o755)
    move_files_like_krew(staging, moved, chosen.get("files") or [{"from": "*", "to": "."}])
    install_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(moved, install_dir)
    binary = install_dir / chosen["bin"]
    if not binary.resolve().is_relative_to(install_dir.resolve()) or not binary.exists():
        raise KrewError(f"can't create symbolic link, source binary {binary} cannot be found in extracted archive")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    link = bin_dir / ("kubectl-" + name.replace("-", "_"))
    link.symlink_to(os.path.relpath(binary, bin_dir))
    return KrewInstall(root, install_dir, bin_dir, link, chosen)


# --------------------------------------------------------------------------- running it


@dataclass(frozen=True)
class KrewShell:
    """kubectl with PATH = krew's bin dir + the directories of kubectl and python3 only."""

    install: KrewInstall
    kubectl: str
    env: dict[str, str]

    def run(self, args: Sequence[str], *, timeout: float = 120) -> Result:
        return self.exec([self.kubectl, *args], timeout=timeout)

    def exec(self, argv: Sequence[str], *, timeout: float = 120) -> Result:
        done = subprocess.run(
            list(argv), env=self.env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        return Result(done.returncode, done.stdout, done.stderr)


def system_python3() -> str:
    """The python3 the zipapp's `#!/usr/bin/env python3` finds: /usr/bin's, else this one."""
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


@pytest.fixture(scope="session")
def shiv_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SHIV_ROOT for every run of the zipapp in this session (its first run unpacks here)."""
    return tmp_path_factory.mktemp("shiv-root")


def clean_env(shiv_root: Path, path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SHIV_", "VIRTUAL_ENV", "KUBE"))}
    env.update(PATH=path, SHIV_ROOT=str(shiv_root), NO_COLOR="1", LC_ALL="C.UTF-8", PYTHONNOUSERSITE="1")
    # The project's machines set PYTHONDONTWRITEBYTECODE=1; keep it, users may have it too.
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]
    return env


@pytest.fixture(scope="session")
def krew(
    manifest: dict[str, Any], built: Any, shiv_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> KrewShell:
    """The built archive installed the way krew installs it, with kubectl ready to run it.

    The archive's sha256 is checked against the fresh build's; whether the committed manifest
    carries that same sha256 is test_manifest.py's business.
    """
    kubectl = find_kubectl()
    if kubectl is None:
        pytest.skip("no kubectl: neither /usr/bin/kubectl nor kubectl on PATH")
    install = install_like_krew(manifest, built.path, built.sha256, tmp_path_factory.mktemp("krew-root"))
    dirs = [str(install.bin_dir)]
    for extra in (os.path.dirname(kubectl), os.path.dirname(system_python3())):
        if extra not in dirs:
            dirs.append(extra)
    return KrewShell(install, kubectl, clean_env(shiv_root, os.pathsep.join(dirs)))


@pytest.fixture(scope="session")
def unpacked(krew: KrewShell) -> Path:
    """The zipapp's site-packages as its first run unpacked them under SHIV_ROOT."""
    first = krew.exec([str(krew.install.link), "--help"], timeout=300)
    assert first.returncode == 0, first.output
    found = sorted(Path(krew.env["SHIV_ROOT"]).glob("kubectl-rollouts_py_*/site-packages"))
    assert len(found) == 1, found
    return found[0]


def pythons(minimum: tuple[int, int] = (3, 0)) -> dict[str, str]:
    """Other CPythons on this machine (pyenv's and /usr/bin's), one per minor version."""
    found: dict[str, str] = {}
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    candidates += sorted(glob.glob("/usr/bin/python3.[0-9]*"))
    for path in candidates:
        if not fnmatch.fnmatch(os.path.basename(path), "python3*") or not os.access(path, os.X_OK):
            continue
        try:
            out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            continue
        minor = out.stdout.strip()
        if out.returncode == 0 and minor and tuple(map(int, minor.split("."))) >= minimum:
            found.setdefault(minor, path)
    return found
