"""krew-manifest.yaml against krew's rules, and the archive plugin/build.py makes.

krew's validator (internal/index/validation/validate.go, cmd/validate-krew-manifest) and the
krew-index review rules, checked one by one: krew itself cannot be installed on these machines.
"""

from __future__ import annotations

import configparser
import gzip
import io
import os
import re
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py import __version__

from .conftest import MANIFEST, REPO, build_or_skip, selector_matches

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
# krew's internal/installation/semver: a leading v, then semver 2.0.0.
SEMVER = re.compile(
    r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# The os/arch pairs krew knows (validate-krew-manifest's platform coverage check).
KREW_PLATFORMS = [
    ("windows", "386"), ("windows", "amd64"), ("windows", "arm64"),
    ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"), ("linux", "ppc64le"),
    ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm64"),
]  # fmt: skip
WANTED_PLATFORMS = {("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")}
LICENSE_NAMES = re.compile(r"^(licen[cs]e|copying)(s)?(\.(txt|md))?$", re.IGNORECASE)
FILES_IN_ARCHIVE = {
    "kubectl-rollouts_py": 0o755,
    "kubectl_complete-rollouts_py": 0o755,
    "LICENSE": 0o644,
    "README.md": 0o644,
}


def python_floor_of_setup_cfg() -> str:
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg", encoding="utf-8")
    match = re.fullmatch(r">=\s*(3\.\d+)", parser["options"]["python_requires"].strip())
    assert match, parser["options"]["python_requires"]
    return match.group(1)


# --------------------------------------------------------------------------- static rules


def test_manifest_header(manifest: dict[str, Any]) -> None:
    assert manifest["apiVersion"] == API_VERSION
    assert manifest["kind"] == "Plugin"
    name = manifest["metadata"]["name"]
    assert name == "rollouts-py"
    assert re.fullmatch(r"[\w-]+", name) and name.upper() not in WINDOWS_RESERVED
    # krew-index keeps plugins/<name>.yaml; validate-krew-manifest takes the name from there.
    assert Path(f"plugins/{name}.yaml").stem == name


def test_version_is_the_package_version_with_a_v(manifest: dict[str, Any]) -> None:
    version = manifest["spec"]["version"]
    assert SEMVER.match(version), version
    assert version == f"v{__version__}"


def test_descriptions(manifest: dict[str, Any]) -> None:
    spec = manifest["spec"]
    short = spec["shortDescription"]
    assert short and "\n" not in short and "\r" not in short
    assert len(short) <= 50, f"krew-index asks for at most 50 characters: {short!r} has {len(short)}"
    description = spec["description"]
    assert description.strip()
    too_long = [line for line in description.splitlines() if len(line) > 80]
    assert not too_long, f"krew-index asks for descriptions wrapped at 80 columns: {too_long}"
    assert "kubectl rollouts-py " not in description, "no usage examples in the description (krew-index)"
    assert spec["homepage"].startswith("https://")


def test_caveats_state_the_python_floor_and_the_completion_link(manifest: dict[str, Any]) -> None:
    caveats = manifest["spec"]["caveats"]
    floor = python_floor_of_setup_cfg()
    assert f"CPython {floor} or newer" in " ".join(caveats.split()), caveats
    assert "kubectl_complete-rollouts_py" in caveats
    assert "SHIV_ROOT" in caveats


def test_platforms(manifest: dict[str, Any]) -> None:
    platforms = manifest["spec"]["platforms"]
    assert platforms, "should have a platform specified"
    for entry in platforms:
        assert entry["uri"].startswith("https://") and entry["uri"].endswith(".tar.gz"), entry["uri"]
        assert re.fullmatch(r"[a-f0-9]{64}", str(entry["sha256"])), entry["sha256"]
        assert entry["bin"] == "kubectl-rollouts_py"
        selector = entry["selector"]
        assert selector, "nil or empty selector"
        keys = list(selector.get("matchLabels") or {}) + [e["key"] for e in selector.get("matchExpressions") or []]
        assert keys and set(keys) <= {"os", "arch"}, keys
        if "matchLabels" in selector:
            assert selector["matchLabels"], "`matchLabels` specified but empty"
        if "matchExpressions" in selector:
            assert selector["matchExpressions"], "`matchExpressions` specified but empty"
        files = entry.get("files")
        if files is not None:
            assert files, "`files` has to be unspecified or non-empty"
            for op in files:
                assert op.get("from") and op.get("to"), op
                assert op["to"] == os.path.normpath(op["to"]), f"`to` must be a clean path: {op}"
                assert ".." not in op["from"] and not op["from"].startswith("/"), op
            destinations = {os.path.normpath(os.path.join(op["to"], os.path.basename(op["from"]))) for op in files}
            destinations |= {os.path.normpath(op["to"]) for op in files if os.path.normpath(op["to"]) != "."}
            assert entry["bin"] in destinations, f"bin {entry['bin']} is not among the installed files"
            assert any(LICENSE_NAMES.match(os.path.basename(d)) for d in destinations), "no LICENSE installed"


def test_platform_coverage(manifest: dict[str, Any]) -> None:
    """Each entry matches some krew platform, no os/arch matches twice, and ours are all there."""
    platforms = manifest["spec"]["platforms"]
    covered: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(platforms):
        matched = [p for p in KREW_PLATFORMS if selector_matches(entry["selector"], {"os": p[0], "arch": p[1]})]
        assert matched, f"platform {index} matches none of krew's platforms"
        for pair in matched:
            assert pair not in covered, f"{pair} matched by platforms {covered[pair]} and {index}"
            covered[pair] = index
    assert set(covered) == WANTED_PLATFORMS
    assert len({(e["uri"], e["sha256"]) for e in platforms}) == 1, "one archive serves every platform"


def test_python_floor_is_stated_alike_everywhere(manifest: dict[str, Any]) -> None:
    floor = python_floor_of_setup_cfg()
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"Python {floor} or newer" in readme
    assert f"CPython {floor} or newer" in " ".join(manifest["spec"]["caveats"].split())


# --------------------------------------------------------------------------- the archive


def test_manifest_sha256_is_the_build(manifest: dict[str, Any], built: Any, build_module: Any) -> None:
    """The committed manifest points at what this checkout builds.

    When the inputs changed since `--update-manifest` (the package, README, LICENSE or
    plugin/), the manifest is stale rather than wrong: that is a release step, reported
    as a skip. With the same inputs a different sha256 means the build is not reproducible.
    """
    shas = {entry["sha256"] for entry in manifest["spec"]["platforms"]}
    assert len(shas) == 1
    (sha,) = shas
    uri = build_module.RELEASE_URL.format(version=built.version, archive=built.path.name)
    if sha == built.sha256:
        assert {e["uri"] for e in manifest["spec"]["platforms"]} == {uri}
        return
    recorded = build_module.manifest_inputs_digest()
    if recorded != built.inputs:
        pytest.skip(
            f"krew-manifest.yaml is stale: its inputs digest {str(recorded)[:12]} is not this checkout's "
            f"{built.inputs[:12]} (the package, setup.cfg, pyproject.toml, README, LICENSE or plugin/ changed). "
            "Before a release run "
            "`python plugin/build.py --from-git HEAD --update-manifest` and commit the manifest."
        )
    pytest.fail(f"same inputs as the manifest, but the build's sha256 is {built.sha256}, the manifest's {sha}")


def test_the_build_is_reproducible(built: Any, build_module: Any, tmp_path: Path) -> None:
    again = build_or_skip(build_module, tmp_path)
    assert again.sha256 == built.sha256
    assert again.path.read_bytes() == built.path.read_bytes()
    assert again.path.name == f"kubectl-rollouts_py-{__version__}.tar.gz"


def test_update_manifest_writes_version_uri_and_sha256(built: Any, build_module: Any, tmp_path: Path) -> None:
    copy = tmp_path / "rollouts-py.yaml"
    text = MANIFEST.read_text(encoding="utf-8")
    text = re.sub(r"sha256: .*", "sha256: " + "0" * 64, text)
    text = re.sub(r"^  version: .*$", "  version: v0.0.0", text, flags=re.MULTILINE)
    copy.write_text(text, encoding="utf-8")
    assert build_module.update_manifest(built, copy) is True
    updated = yaml.safe_load(copy.read_text(encoding="utf-8"))
    assert updated["spec"]["version"] == f"v{built.version}"
    assert {e["sha256"] for e in updated["spec"]["platforms"]} == {built.sha256}
    assert {e["uri"] for e in updated["spec"]["platforms"]} == {
        build_module.RELEASE_URL.format(version=built.version, archive=built.path.name)
    }
    assert build_module.manifest_inputs_digest(copy) == built.inputs
    assert build_module.update_manifest(built, copy) is False  # idempotent


def test_archive_is_a_plain_reproducible_tar_gz(built: Any, build_module: Any) -> None:
    data = built.path.read_bytes()
    assert data[:3] == b"\x1f\x8b\x08"
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert mtime == 0 and not flags & 0x08, "gzip header: no mtime, no file name"
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(FILES_IN_ARCHIVE)
    for member in members:
        assert member.isreg(), f"{member.name}: only regular files"
        assert member.mode == FILES_IN_ARCHIVE[member.name], f"{member.name}: mode {oct(member.mode)}"
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == build_module.SOURCE_DATE_EPOCH


def read_member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive, mode="r:gz") as tar:
        source = tar.extractfile(name)
        assert source is not None
        return source.read()


def test_zipapp_is_pure_python_with_the_pinned_dependencies(built: Any) -> None:
    app = read_member(built.path, "kubectl-rollouts_py")
    assert app.startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(io.BytesIO(app)) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        environment = zf.read("environment.json").decode()
    assert names == sorted(names)
    assert {"__main__.py", "environment.json", "_bootstrap/__init__.py"} <= set(names)
    assert '"entry_point": "kubectl_rollouts_py_bundle:main"' in environment
    native = [n for n in names if n.endswith((".so", ".pyd", ".dylib", ".dll", ".pyc"))]
    assert not native, f"compiled files in the zipapp: {native}"
    assert all(i.external_attr >> 16 == stat.S_IFREG | 0o644 for i in infos)
    assert len({i.date_time for i in infos}) == 1
    dist_infos = {n.split("/")[1] for n in names if n.startswith("site-packages/") and ".dist-info/" in n}
    assert "kubernetes-35.0.0.dist-info" in dist_infos
    assert not any(d.startswith(("dateparser", "regex", "pydantic", "aiohttp")) for d in dist_infos), dist_infos
    assert "site-packages/kubectl_rollouts_py/__init__.py" in names
    assert "site-packages/kubectl_rollouts_py/py.typed" in names
    assert "site-packages/yaml/__init__.py" in names


def test_archive_carries_the_repo_license_readme_and_launcher(built: Any) -> None:
    assert read_member(built.path, "LICENSE") == (REPO / "LICENSE").read_bytes()
    assert read_member(built.path, "README.md") == (REPO / "README.md").read_bytes()
    launcher = read_member(built.path, "kubectl_complete-rollouts_py")
    assert launcher == (REPO / "plugin" / "kubectl_complete-rollouts_py").read_bytes()
    assert launcher.startswith(b"#!/usr/bin/env python3\n")


def source_modules() -> set[str]:
    """The .py files of every package setup.cfg's `packages = find:` finds (folders with an
    __init__.py whose parents are packages too)."""
    found: set[str] = set()
    top = REPO / "kubectl_rollouts_py"
    for directory, subdirs, names in os.walk(top):
        if "__init__.py" not in names:
            subdirs[:] = []
            continue
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        found |= {(Path(directory) / n).relative_to(REPO).as_posix() for n in names if n.endswith(".py")}
    return found


def test_bundle_has_the_package_as_its_wheel_installs_it(built: Any) -> None:
    """The zipapp holds the package's wheel: every module, py.typed and the package data
    (the dashboard's static files), its .dist-info, and nothing else of the checkout."""
    app = read_member(built.path, "kubectl-rollouts_py")
    with zipfile.ZipFile(io.BytesIO(app)) as zf:
        names = zf.namelist()
    ours = {n[len("site-packages/") :] for n in names if n.startswith("site-packages/kubectl_rollouts_py/")}
    assert ours == set(built.package)
    assert source_modules() <= ours
    static = {f"kubectl_rollouts_py/dashboard/static/{p.name}" for p in (REPO / "kubectl_rollouts_py/dashboard/static").iterdir()}
    assert static and static <= ours
    assert "kubectl_rollouts_py/py.typed" in ours
    assert not {n for n in ours if "__pycache__" in n or n.endswith((".pyc", ".orig", ".rej"))}
    dist_info = {n.split("/")[2] for n in names if n.startswith(f"site-packages/kubectl_rollouts_py-{__version__}.dist-info/")}
    assert {"METADATA", "WHEEL", "entry_points.txt"} <= dist_info and "RECORD" not in dist_info, dist_info


def test_build_prints_the_archive_path_last(tmp_path: Path, build_module: Any, built: Any) -> None:
    import subprocess
    import sys

    out_dir = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(REPO / "plugin" / "build.py"), "--out-dir", str(out_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last == str(out_dir / f"kubectl-rollouts_py-{__version__}.tar.gz")
    assert Path(last).read_bytes() == built.path.read_bytes()
    shutil.rmtree(out_dir)
