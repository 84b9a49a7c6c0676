#!/usr/bin/env python3
"""Wall-time benchmark of the krew zipapp (a script, not a test).

Builds the krew archive with plugin/build.py (or takes --archive), unpacks it into a
temporary folder, and with a fresh SHIV_ROOT measures:

1. the first run (`--help`), which unpacks the zipapp's site-packages and compiles them;
2. after it, N runs each of `kubectl-rollouts_py --help` and of
   `kubectl-rollouts_py get rollout app-backend -n ithome --from-file examples/app-backend-canary.yaml`
   (median, min, max in ms), and with --kubectl the same through `kubectl rollouts-py`.

    python benchmarks/zipapp_bench.py
    python benchmarks/zipapp_bench.py --runs 30 --python /root/.pyenv/versions/3.10.13/bin/python3

The zipapp runs on --python (default: the python3 first on PATH, as its shebang would).
PYTHONDONTWRITEBYTECODE is passed through as it is: the first run compiles every module
(shiv --compile-pyc), so later runs load byte-code either way. Timings on a shared 2-core VM
move by +-30% between runs: compare medians of several runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "app-backend-canary.yaml"
GET = ["get", "rollout", "app-backend", "-n", "ithome", "--from-file", str(EXAMPLE)]


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode(errors='replace')}")
    return elapsed * 1000


def series(label: str, argv: Sequence[str], env: dict[str, str], runs: int) -> str:
    times = [timed(argv, env) for _ in range(runs)]
    return f"{label:<44} median {statistics.median(times):7.1f} ms   min {min(times):7.1f}   max {max(times):7.1f}   (n={runs})"


def build_archive() -> Path:
    done = subprocess.run([sys.executable, str(REPO / "plugin" / "build.py")], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("error: plugin/build.py failed")
    return Path(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="a built archive (default: run plugin/build.py)")
    parser.add_argument("--runs", type=int, default=20, help="runs per command after the first (default 20)")
    parser.add_argument("--python", help="the interpreter to run the zipapp with (default: python3 on PATH)")
    parser.add_argument("--kubectl", nargs="?", const="/usr/bin/kubectl", help="also time `kubectl rollouts-py ...`")
    args = parser.parse_args()

    archive = args.archive or build_archive()
    python = args.python or shutil.which("python3")
    if not python:
        sys.exit("error: no python3 on PATH (give --python)")
    with tempfile.TemporaryDirectory(prefix="zipapp-bench-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive) as tar:
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(work / "plugin", **extra)  # type: ignore[arg-type]
        app = str(work / "plugin" / "kubectl-rollouts_py")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHIV_")}
        env.update(SHIV_ROOT=str(work / "shiv-root"), NO_COLOR="1")
        version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"archive   {archive} ({archive.stat().st_size} bytes)")
        print(f"zipapp    {os.path.getsize(app)} bytes, run by {python} ({version})")
        print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}  cpus={os.cpu_count()}")
        first = timed([python, app, "--help"], env)
        unpacked = sum(f.stat().st_size for f in (work / "shiv-root").rglob("*") if f.is_file())
        print(f"{'first run: --help (unpack + compile)':<44} {first:7.1f} ms   (unpacked {unpacked / 1e6:.0f} MB)")
        print(series("--help", [python, app, "--help"], env, args.runs))
        print(series("get rollout --from-file", [python, app, *GET], env, args.runs))
        if args.kubectl:
            bin_dir = work / "bin"
            bin_dir.mkdir()
            (bin_dir / "kubectl-rollouts_py").symlink_to(app)
            kenv = dict(env, PATH=os.pathsep.join([str(bin_dir), os.path.dirname(python), env.get("PATH", "")]))
            print(series("kubectl rollouts-py --help", [args.kubectl, "rollouts-py", "--help"], kenv, args.runs))
            print(series("kubectl rollouts-py get rollout --from-file", [args.kubectl, "rollouts-py", *GET], kenv, args.runs))


if __name__ == "__main__":
    main()
