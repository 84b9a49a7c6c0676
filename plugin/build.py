#!/usr/bin/env python3
"""Build the krew archive: `python plugin/build.py [--update-manifest]`.

Writes `dist/kubectl-rollouts_py-<version>.tar.gz` and prints its path as the last line of
stdout (a summary goes to stderr). The archive holds regular files only:

    kubectl-rollouts_py            0755  a shiv zipapp: this package and its pure-Python
                                         dependencies (plugin/bundle-requirements.txt)
    kubectl_complete-rollouts_py   0755  a launcher into the same zipapp (shell completion)
    LICENSE, README.md             0644

Reproducible: the same inputs give the same bytes on every run and every machine with the
same zlib. Nothing depends on the clock, the user, the umask or directory order: every
timestamp is SOURCE_DATE_EPOCH (a constant, not the commit date, so the archive changes only
when its contents do), owners are 0/0 without names, entries are sorted, the gzip header
has mtime 0 and no file name, and the zipapp is built by shiv --reproducible and then
rewritten with sorted entries and fixed modes (shiv lists its own bootstrap files in
directory order and copies their modes from disk).

The package goes in as its own wheel, so the zipapp holds exactly what `pip install .`
installs: every module, py.typed, the dashboard's static files and any other package data
setup.cfg names, and the .dist-info. The wheel is built by the pinned setuptools
(plugin/build-requirements.txt) through its PEP 517 backend, in a scratch copy of the
sources (pyproject.toml, setup.cfg, README.md, LICENSE and the package folder), so the
build writes nothing into the checkout. Inputs are those sources and plugin/, taken from
the working tree, or with --from-git REV from that commit (what a release or a clean clone
builds, whatever else the working tree holds). Wheels come from PyPI through pip, checked
against the sha256 pinned in plugin/*-requirements.txt, and are kept in a cache folder
(--wheel-cache, default ~/.cache/kubectl-rollouts-py/wheels) so later builds need no
network at all.

The zipapp unpacks itself on its first run into ~/.shiv/kubectl-rollouts_py_<hash>/ (or
$SHIV_ROOT/...); `kubectl krew uninstall` does not remove that folder. Its `__main__.py` is
plugin/zipapp_main.py with shiv's build id written in: once unpacked, a run goes straight
to the entry point instead of through shiv's bootstrap (which imports hashlib, compileall,
subprocess, zipfile and more on every run); the first run and SHIV_* overrides still go
through shiv's.

--update-manifest writes the archive's version, uri and sha256 into krew-manifest.yaml,
with a digest of the inputs (see inputs_digest) in its first comment line, so a test can
tell a stale manifest (inputs changed since) from a build that is not reproducible.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent
ROOT = PLUGIN.parent
PACKAGE = "kubectl_rollouts_py"
DIST = ROOT / "dist"
MANIFEST = ROOT / "krew-manifest.yaml"
# Relative to the source root (the checkout, or a `git archive` export with --from-git).
BUNDLE_REQUIREMENTS = "plugin/bundle-requirements.txt"
BUILD_REQUIREMENTS = "plugin/build-requirements.txt"
LAUNCHER = "plugin/kubectl_complete-rollouts_py"
BUNDLE_ENTRY = "plugin/bundle_entry.py"
BUNDLE_ENTRY_MODULE = "kubectl_rollouts_py_bundle"
ZIPAPP_MAIN = "plugin/zipapp_main.py"
_BUILD_LINE = "BUILD = {}  # plugin/build.py: build_id, entry_point and root from environment.json\n"

BIN = "kubectl-rollouts_py"
COMPLETE_BIN = "kubectl_complete-rollouts_py"
SHEBANG = "/usr/bin/env python3"
# 1980-01-01 06:00 UTC, shiv's own default: the earliest zip time, safe in any time zone.
SOURCE_DATE_EPOCH = 315554400
# Pure wheels: pip must pick a py3-none-any (or py2.py3) wheel, never a compiled one.
PURE_WHEEL_TAGS = ("py310", "none", "any")
RELEASE_URL = "https://github.com/rollouts-py/kubectl-rollouts-py/releases/download/v{version}/{archive}"
DIGEST_COMMENT = "# plugin/build.py --update-manifest: inputs sha256:"


Log = Callable[[str], None]


class BuildError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# inputs


def package_version(src: Path = ROOT) -> str:
    text = (src / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    if not match:
        raise BuildError(f"no __version__ in {PACKAGE}/__init__.py")
    return match.group(1)


def archive_name(version: str) -> str:
    return f"{BIN}-{version}.tar.gz"


# What the package's wheel is built from, besides the package folder (those that exist).
WHEEL_SOURCES = ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in", "README.md", "LICENSE")


def source_files(src: Path = ROOT) -> list[Path]:
    """The files the package's wheel is built from: the build configuration, README and
    LICENSE, and every file under kubectl_rollouts_py/ but caches (setup.cfg decides which
    of them the wheel takes)."""
    files = [src / name for name in WHEEL_SOURCES if (src / name).is_file()]
    for path in (src / PACKAGE).rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(src).as_posix())


def plugin_files(src: Path = ROOT) -> list[Path]:
    return sorted(
        (p for p in (src / "plugin").rglob("*") if p.is_file() and "__pycache__" not in p.parts),
        key=lambda p: p.relative_to(src).as_posix(),
    )


def inputs_digest(src: Path = ROOT) -> str:
    """sha256 over everything the archive is built from (paths and bytes), without building."""
    digest = hashlib.sha256()
    for path in [*source_files(src), *plugin_files(src)]:
        digest.update(path.relative_to(src).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(f"epoch={SOURCE_DATE_EPOCH} shebang={SHEBANG}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str
    tags: tuple[str, str, str]  # python version, abi, platform pip is asked for

    @property
    def pure(self) -> bool:
        return self.tags == PURE_WHEEL_TAGS


_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha>[0-9a-f]{64})"
    r"\s*(?:#\s*wheel-tags:\s*(?P<tags>\S+\s+\S+\s+\S+))?\s*$"
)


def read_pins(path: Path) -> list[Pin]:
    pins = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if not match:
            raise BuildError(f"{path.name}:{number}: expected `name==version --hash=sha256:HEX`: {line}")
        tags = tuple(match.group("tags").split()) if match.group("tags") else PURE_WHEEL_TAGS
        pins.append(Pin(match.group("name"), match.group("version"), match.group("sha"), tags))
    return pins


# ---------------------------------------------------------------------------------------
# wheels


def default_wheel_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kubectl-rollouts-py" / "wheels"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cached(cache: Path) -> dict[str, Path]:
    return {sha256_file(p): p for p in sorted(cache.glob("*.whl"))}


def fetch_wheels(pins: list[Pin], cache: Path, log: Log) -> list[Path]:
    """The wheel of every pin, from the cache or else through pip (hash-checked either way)."""
    cache.mkdir(parents=True, exist_ok=True)
    have = _cached(cache)
    missing = [p for p in pins if p.sha256 not in have]
    groups: dict[tuple[str, str, str], list[Pin]] = {}
    for pin in missing:
        groups.setdefault(pin.tags, []).append(pin)
    for (python, abi, platform), group in sorted(groups.items()):
        log(f"pip download {' '.join(f'{p.name}=={p.version}' for p in group)}")
        with tempfile.TemporaryDirectory(prefix="rollouts-py-wheels-") as tmp:
            requirements = Path(tmp) / "requirements.txt"
            requirements.write_text(
                "".join(f"{p.name}=={p.version} --hash=sha256:{p.sha256}\n" for p in group), encoding="utf-8"
            )
            command = [
                sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                "--no-deps", "--only-binary=:all:", "--require-hashes",
                "--python-version", python.removeprefix("py").removeprefix("cp"),
                "--implementation", "cp" if python.startswith("cp") else "py",
                "--abi", abi, "--platform", platform,
                "--dest", str(Path(tmp) / "out"), "--requirement", str(requirements),
            ]  # fmt: skip
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                raise BuildError(
                    "pip could not download the pinned wheels (is PyPI reachable?):\n"
                    + (result.stderr.strip() or result.stdout.strip())
                )
            for wheel in sorted((Path(tmp) / "out").glob("*.whl")):
                shutil.move(str(wheel), cache / wheel.name)
        have = _cached(cache)
    wheels = []
    for pin in pins:
        if pin.sha256 not in have:
            raise BuildError(f"no wheel with sha256 {pin.sha256} for {pin.name}=={pin.version} in {cache}")
        wheels.append(have[pin.sha256])
    return wheels


_NATIVE = (".so", ".pyd", ".dylib", ".dll")


def unpack_wheel(wheel: Path, target: Path) -> list[str]:
    """Install a wheel the simple way (unzip; .data/purelib|platlib to the top); returns dropped files.

    Compiled extensions are dropped (the bundle must run on any OS/CPU), and so are RECORD
    (it would list them), scripts, headers and data: the zipapp runs only our entry point.
    """
    dropped = []
    with zipfile.ZipFile(wheel) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            name = info.filename
            if name.endswith("/"):
                continue
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    dropped.append(name)
                    continue
                parts = parts[2:]
            if parts[0].endswith(".dist-info") and parts[-1] in ("RECORD", "INSTALLER", "REQUESTED"):
                continue
            if name.endswith(_NATIVE) or ".so." in parts[-1]:
                dropped.append(name)
                continue
            if any(p in ("", ".", "..") for p in parts):
                raise BuildError(f"{wheel.name}: refusing entry {name!r}")
            dest = target.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                raise BuildError(f"{wheel.name}: {'/'.join(parts)} is also in another wheel")
            dest.write_bytes(archive.read(info))
    return dropped


def normalize_tree(top: Path) -> None:
    """Modes 0755 for directories, 0644 for files, whatever the umask was."""
    for directory, _subdirs, names in os.walk(top):
        os.chmod(directory, 0o755)
        for name in names:
            os.chmod(os.path.join(directory, name), 0o644)


# ---------------------------------------------------------------------------------------
# zipapp and archive


def build_package_wheel(src: Path, tools: Path, work: Path, log: Log) -> Path:
    """The package's wheel, as `pip wheel .` makes it, by the pinned setuptools backend.

    Built in a scratch copy of source_files(), so setuptools' build/ and .egg-info never
    land in the checkout, and the wheel holds the package data too (dashboard/static).
    """
    if not (tools / "setuptools" / "build_meta.py").is_file():
        raise BuildError(f"{BUILD_REQUIREMENTS} pins no setuptools: it builds the package's wheel")
    scratch = work / "package-src"
    for path in source_files(src):
        dest = scratch / path.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    out = work / "package-wheel"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SETUPTOOLS_", "DIST_EXTRA_CONFIG"))}
    env["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # -I -S: no site-packages, no environment: the pinned setuptools in `tools` alone.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import setuptools.build_meta as backend; "
        "print(backend.build_wheel(sys.argv[2]))"
    )
    command = [sys.executable, "-I", "-S", "-c", script, str(tools), str(out)]
    result = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"building the package's wheel failed ({result.returncode}):\n{result.stderr.strip() or result.stdout.strip()}")
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"building the package's wheel made {[w.name for w in wheels]}, not one wheel")
    log(f"built {wheels[0].name}")
    return wheels[0]


def wheel_package_files(wheel: Path) -> list[str]:
    """The package's files in its wheel (what pip installs under site-packages/kubectl_rollouts_py/)."""
    with zipfile.ZipFile(wheel) as archive:
        return sorted(n for n in archive.namelist() if n.startswith(f"{PACKAGE}/") and not n.endswith("/"))


def stage_site_packages(src: Path, wheels: list[Path], target: Path, log: Log) -> None:
    """The dependencies' wheels and the package's own wheel, unpacked; the bundle's entry point."""
    for wheel in wheels:
        for name in unpack_wheel(wheel, target):
            log(f"  dropped {name} from {wheel.name}")
    shutil.copyfile(src / BUNDLE_ENTRY, target / f"{BUNDLE_ENTRY_MODULE}.py")
    normalize_tree(target)


def run_shiv(tools: Path, site_packages: Path, output: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tools)
    env["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    env.pop("PYTHONSTARTUP", None)
    command = [
        sys.executable, "-m", "shiv",
        "--site-packages", str(site_packages),
        "--entry-point", f"{BUNDLE_ENTRY_MODULE}:main",
        "--python", SHEBANG,
        "--reproducible", "--compressed", "--compile-pyc",
        "--output-file", str(output),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"shiv failed ({result.returncode}):\n{result.stderr.strip() or result.stdout.strip()}")


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    import time

    return time.gmtime(epoch)[:6]


def zipapp_main(src: Path, zipapp: Path) -> bytes:
    """The zipapp's `__main__.py`: plugin/zipapp_main.py with the build id, entry point and
    root of the environment.json shiv wrote (the launcher that skips shiv's bootstrap once
    the zipapp is unpacked)."""
    import json

    with zipfile.ZipFile(zipapp) as archive:
        environment = json.loads(archive.read("environment.json"))
    settings = {key: environment.get(key) for key in ("build_id", "entry_point", "root")}
    template = (src / ZIPAPP_MAIN).read_text(encoding="utf-8")
    if template.count(_BUILD_LINE) != 1:
        raise BuildError(f"{ZIPAPP_MAIN} has no line {_BUILD_LINE.strip()!r}")
    return template.replace(_BUILD_LINE, f"BUILD = {settings!r}\n").encode("utf-8")


def normalize_zipapp(source: Path, target: Path, replace: dict[str, bytes] | None = None) -> None:
    """Rewrite shiv's zipapp: same shebang and contents (but the entries in `replace`),
    entries sorted, fixed time and modes."""
    replace = replace or {}
    data = source.read_bytes()
    first_line = data.split(b"\n", 1)[0] + b"\n"
    if not first_line.startswith(b"#!"):
        raise BuildError("shiv wrote no shebang line")
    when = _zip_time(SOURCE_DATE_EPOCH)
    with zipfile.ZipFile(io.BytesIO(data)) as original, target.open("wb") as out:
        out.write(first_line)
        with zipfile.ZipFile(out, "w") as rewritten:
            for info in sorted(original.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                entry = zipfile.ZipInfo(info.filename, date_time=when)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.create_system = 3  # Unix, so that external_attr holds the mode
                entry.external_attr = (stat.S_IFREG | 0o644) << 16
                rewritten.writestr(entry, replace.get(info.filename) or original.read(info))
    os.chmod(target, 0o755)


def write_archive(target: Path, members: list[tuple[str, bytes, int]]) -> None:
    """A .tar.gz of regular files only, byte-for-byte reproducible."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = SOURCE_DATE_EPOCH
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(buffer.getvalue())
    os.replace(tmp, target)


@dataclass(frozen=True)
class Built:
    path: Path
    sha256: str
    version: str
    zipapp_size: int
    inputs: str  # inputs_digest() of the source it was built from
    package: tuple[str, ...] = ()  # the package's files, as its wheel lists them


def build(out_dir: Path = DIST, wheel_cache: Path | None = None, log: Log | None = None, src: Path = ROOT) -> Built:
    """Build the archive from the source tree `src` into `out_dir`."""
    log = log or (lambda message: print(message, file=sys.stderr))  # noqa: E731
    umask = os.umask(0o022)  # files the build writes; their modes are normalized anyway
    try:
        return _build(out_dir, wheel_cache, log, src)
    finally:
        os.umask(umask)


def _build(out_dir: Path, wheel_cache: Path | None, log: Log, src: Path) -> Built:
    version = package_version(src)
    cache = wheel_cache or default_wheel_cache()
    bundle = read_pins(src / BUNDLE_REQUIREMENTS)
    tools = read_pins(src / BUILD_REQUIREMENTS)
    wheels = fetch_wheels(bundle, cache, log)
    tool_wheels = fetch_wheels(tools, cache, log)
    with tempfile.TemporaryDirectory(prefix="rollouts-py-build-") as tmp:
        work = Path(tmp)
        tool_dir = work / "tools"
        for wheel in tool_wheels:
            unpack_wheel(wheel, tool_dir)
        normalize_tree(tool_dir)
        package_wheel = build_package_wheel(src, tool_dir, work, log)
        package = tuple(wheel_package_files(package_wheel))
        site_packages = work / "site-packages"
        stage_site_packages(src, [*wheels, package_wheel], site_packages, log)
        run_shiv(tool_dir, site_packages, work / "shiv.pyz")
        zipapp_path = work / BIN
        normalize_zipapp(work / "shiv.pyz", zipapp_path, {"__main__.py": zipapp_main(src, work / "shiv.pyz")})
        members = [
            (BIN, zipapp_path.read_bytes(), 0o755),
            (COMPLETE_BIN, (src / LAUNCHER).read_bytes(), 0o755),
            ("LICENSE", (src / "LICENSE").read_bytes(), 0o644),
            ("README.md", (src / "README.md").read_bytes(), 0o644),
        ]
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / archive_name(version)
        write_archive(target, members)
        zipapp_size = zipapp_path.stat().st_size
    digest = sha256_file(target)
    (out_dir / (target.name + ".sha256")).write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    return Built(target, digest, version, zipapp_size, inputs_digest(src), package)


def export_git(rev: str, target: Path) -> None:
    """The tree of commit `rev`, as `git archive` writes it, unpacked into `target`."""
    result = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True)
    if result.returncode != 0:
        raise BuildError(f"git archive {rev}: {result.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
        for member in tar.getmembers():
            if member.isfile() or member.isdir():  # symlinks are no input of the build
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extract(member, target, set_attrs=False, **extra)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# manifest


def update_manifest(built: Built, manifest: Path = MANIFEST) -> bool:
    """Point every platform of the manifest at this archive; True if the file changed."""
    text = manifest.read_text(encoding="utf-8")
    uri = RELEASE_URL.format(version=built.version, archive=built.path.name)
    new, versions = re.subn(r"^(  version:\s*).*$", rf"\g<1>v{built.version}", text, flags=re.MULTILINE)
    new, uris = re.subn(r"^(\s+uri:\s*).*$", rf"\g<1>{uri}", new, flags=re.MULTILINE)
    new, sums = re.subn(r"^(\s+sha256:\s*).*$", rf"\g<1>{built.sha256}", new, flags=re.MULTILINE)
    if versions != 1 or uris == 0 or uris != sums:
        raise BuildError(f"{manifest.name}: expected one spec.version and a uri and sha256 per platform")
    header = f"{DIGEST_COMMENT}{built.inputs}\n"
    lines = new.splitlines(keepends=True)
    if lines and lines[0].startswith(DIGEST_COMMENT):
        lines[0] = header
    else:
        lines.insert(0, header)
    new = "".join(lines)
    if new == text:
        return False
    manifest.write_text(new, encoding="utf-8")
    return True


def manifest_inputs_digest(manifest: Path = MANIFEST) -> str | None:
    first = manifest.read_text(encoding="utf-8").split("\n", 1)[0]
    return first[len(DIGEST_COMMENT) :].strip() if first.startswith(DIGEST_COMMENT) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python plugin/build.py")
    parser.add_argument("--update-manifest", action="store_true", help="write version, uri and sha256 into krew-manifest.yaml")
    parser.add_argument("--out-dir", type=Path, default=DIST, help="where the archive goes (default: dist/)")
    parser.add_argument("--wheel-cache", type=Path, default=None, help=f"wheel cache (default: {default_wheel_cache()})")
    parser.add_argument(
        "--from-git",
        metavar="REV",
        help="build from `git archive REV` instead of the working tree (e.g. HEAD, or a release tag)",
    )
    args = parser.parse_args(argv)
    try:
        if args.from_git:
            with tempfile.TemporaryDirectory(prefix="rollouts-py-src-") as tmp:
                export_git(args.from_git, Path(tmp))
                built = build(args.out_dir, args.wheel_cache, src=Path(tmp))
        else:
            built = build(args.out_dir, args.wheel_cache)
        if args.update_manifest:
            changed = update_manifest(built)
            print(f"{MANIFEST.name}: {'updated' if changed else 'already up to date'}", file=sys.stderr)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"sha256 {built.sha256}  size {built.path.stat().st_size}  zipapp {built.zipapp_size}", file=sys.stderr)
    print(built.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
